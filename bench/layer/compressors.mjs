#!/usr/bin/env node
// Compressor comparison on one buffer of the layer benchmark's content (no tar, no I/O):
// pako single stream (the format before ADR 0057), strata's blocked format in the calling
// thread and in worker pools, and `gzip -n -6`. Prints wall, CPU (all threads) and size.
// Usage: npx tsc -p . && node bench/layer/compressors.mjs   (env: SIZE_MB=64 POOLS=1,2)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (f) => import(pathToFileURL(path.join(repo, 'dist', f)).href);
const { PinnedGzip, ParallelGzip } = await dist('tar/pinned-gzip.js');
const { DeflatePool } = await dist('tar/deflate-pool.js');
const { generateBuffer } = await import('./generate.mjs');
const pako = createRequire(path.join(repo, 'package.json'))('pako');

const SIZE_MB = Number(process.env.SIZE_MB ?? 64);
const POOLS = (process.env.POOLS ?? '1,2').split(',').map(Number);
const CHUNK = 256 * 1024;
const data = generateBuffer(SIZE_MB);

async function measure(name, f) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  const cpu = r.cpu ?? (c.user + c.system) / 1e6;
  console.log(`${name.padEnd(34)} wall ${((performance.now() - t0) / 1000).toFixed(2).padStart(7)} s  cpu ${cpu.toFixed(2).padStart(7)} s  size ${r.size}`);
}

console.log(`input: ${data.length} bytes; machine: load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
await measure('pako 2.1.0 single stream, level 6', () => ({ size: pako.gzip(data, { level: 6 }).length }));
await measure('strata blocked, calling thread', () => {
  const g = new PinnedGzip();
  let size = 0;
  for (let i = 0; i < data.length; i += CHUNK) for (const c of g.push(data.subarray(i, i + CHUNK))) size += c.length;
  for (const c of g.finish()) size += c.length;
  return { size };
});
for (const n of POOLS) {
  const pool = new DeflatePool(n);
  await measure(`strata blocked, ${n} worker(s)`, async () => {
    const g = new ParallelGzip({ pool });
    let size = 0;
    for (let i = 0; i < data.length; i += CHUNK) for (const c of await g.push(data.subarray(i, i + CHUNK))) size += c.length;
    for (const c of await g.finish()) size += c.length;
    return { size };
  });
  await pool.close();
}
await measure('gzip -n -6 (GNU gzip)', () => {
  const r = spawnSync('bash', ['-c', 'gzip -n -6 | wc -c; times'], { input: data, encoding: 'utf8', maxBuffer: 1 << 20 });
  const lines = r.stdout.trim().split('\n');
  const cpu = [...lines.at(-1).matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  return { size: Number(lines[0]), cpu };
});
