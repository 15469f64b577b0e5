#!/usr/bin/env node
// Compressor comparison on one buffer (no tar, no I/O): strata's pinned gzip
// (blocked-deflate-3, strata-deflate in C, ADR 0161) in the calling thread and in worker
// pools, against `gzip -n -6`. Prints wall, CPU (all threads), size, and the ratios to
// gzip -6. Every output is checked to gunzip to the input.
// Usage: npx tsc -p . && node bench/layer/compressors.mjs
//   env: CORPUS=gen (bench/layer/generate.mjs content, SIZE_MB MiB, default 64) or a file
//        path (e.g. source-like text: tar --sort=name -cf - -C /usr include | head -c 32M > F)
//        POOLS=1,2  REPEAT=3 (each measurement repeated, the median CPU kept)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (f) => import(pathToFileURL(path.join(repo, 'dist', f)).href);
const { PinnedGzip, ParallelGzip, PINNED_GZIP } = await dist('tar/pinned-gzip.js');
const { DeflatePool } = await dist('tar/deflate-pool.js');
const { generateBuffer } = await import('./generate.mjs');

const corpus = process.env.CORPUS ?? 'gen';
const data = corpus === 'gen' ? generateBuffer(Number(process.env.SIZE_MB ?? 64)) : readFileSync(corpus);
const POOLS = (process.env.POOLS ?? '1,2').split(',').filter(Boolean).map(Number);
const REPEAT = Number(process.env.REPEAT ?? 3);
const CHUNK = 256 * 1024;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Outside the timed part: the output must gunzip to the input. */
function check(parts) {
  const gz = Buffer.concat(parts);
  if (!zlib.gunzipSync(gz).equals(data)) throw new Error('output does not gunzip to the input');
  return gz.length;
}

async function measure(f) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await f();
    const c = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / 1000;
    runs.push({ wall, cpu: r.cpu ?? (c.user + c.system) / 1e6, size: r.size ?? check(r.parts) });
  }
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), size: runs[0].size };
}

function gzip6() {
  const r = spawnSync('bash', ['-c', 'gzip -n -6 | wc -c; times'], { input: data, encoding: 'utf8', maxBuffer: 1 << 20 });
  const lines = r.stdout.trim().split('\n');
  const cpu = [...lines.at(-1).matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  return { size: Number(lines[0]), cpu };
}

console.log(`corpus ${corpus}: ${data.length} bytes; ${PINNED_GZIP.library} ${PINNED_GZIP.version} (${PINNED_GZIP.format}); ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; node ${process.version}; ${new Date().toISOString().slice(0, 10)}; median of ${REPEAT}`);
const rows = [];
rows.push(['gzip -n -6 (GNU gzip)', await measure(gzip6)]);
rows.push(['strata, calling thread', await measure(() => {
  const g = new PinnedGzip();
  const parts = [];
  for (let i = 0; i < data.length; i += CHUNK) parts.push(...g.push(data.subarray(i, i + CHUNK)));
  parts.push(...g.finish());
  return { parts };
})]);
for (const n of POOLS) {
  const pool = new DeflatePool(n);
  rows.push([`strata, ${n} worker(s)`, await measure(async () => {
    const g = new ParallelGzip({ pool, inlineBlocks: 0 });
    const parts = [];
    for (let i = 0; i < data.length; i += CHUNK) parts.push(...(await g.push(data.subarray(i, i + CHUNK))));
    parts.push(...(await g.finish()));
    return { parts };
  })]);
  await pool.close();
}
const ref = rows[0][1];
for (const [name, r] of rows) {
  console.log(`${name.padEnd(26)} wall ${r.wall.toFixed(2).padStart(6)} s  cpu ${r.cpu.toFixed(2).padStart(6)} s (${(r.cpu / ref.cpu).toFixed(2)}× gzip)  size ${String(r.size).padStart(10)} (${r.size >= ref.size ? '+' : ''}${((r.size / ref.size - 1) * 100).toFixed(2)} %)`);
}
