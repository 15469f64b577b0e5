#!/usr/bin/env node
// zstd layer benchmark (ADR 0166): the tar of a generated tree (bench/layer/generate.mjs)
// compressed by strata's own zstd encoder (in-thread and on STRATA_COMPRESS_THREADS
// threads) vs `zstd -3` and `gzip -n -6` on the same bytes. Prints size, ratio to the
// tar, wall and CPU time (median of RUNS).
// Usage: npx tsc -p . && node bench/layer/zstd.mjs      env: SIZE_MB=100 RUNS=3
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (f) => import(pathToFileURL(path.join(repo, 'dist', f)).href);
const { walkDirectory } = await dist('tar/walk.js');
const { writeLayer } = await dist('tar/layer.js');
const { zstdPinned, ParallelZstd } = await dist('tar/zstd-frame.js');
const { generateTree } = await import('./generate.mjs');

const SIZE_MB = Number(process.env.SIZE_MB ?? 100);
const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-zstd-'));
try {
  const tree = path.join(base, 'tree');
  mkdirSync(tree);
  generateTree(tree, SIZE_MB);
  const parts = [];
  await writeLayer(await walkDirectory(tree), { write: (c) => void parts.push(c) }, { sourceDateEpoch: 1, compression: 'none' });
  const tar = Buffer.concat(parts);
  const tarFile = path.join(base, 'layer.tar');
  writeFileSync(tarFile, tar);
  console.log(`tar of ${SIZE_MB} MiB generated tree: ${tar.length} bytes; load ${os.loadavg()[0].toFixed(2)}; ${os.cpus().length} CPUs`);

  const measure = async (name, f) => {
    const rows = [];
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await f();
      rows.push({ ms: performance.now() - t0, cpu: r.cpu ?? (() => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; })(), size: r.size });
    }
    const ms = median(rows.map((r) => r.ms));
    const cpu = median(rows.map((r) => r.cpu));
    const size = rows[0].size;
    console.log(`${name.padEnd(28)} ${String(size).padStart(11)} B  ${(size / tar.length * 100).toFixed(2).padStart(6)} %  wall ${(ms / 1000).toFixed(2)} s  cpu ${(cpu / 1000).toFixed(2)} s  ${(tar.length / 1048576 / (cpu / 1000)).toFixed(1)} MiB/cpu-s`);
    return size;
  };
  const tool = (cmd) => () => {
    const r = spawnSync('bash', ['-c', `${cmd} < '${tarFile}' | wc -c; times`], { encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n');
    const secs = [...(lines.at(-1) ?? '').matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
    return { size: Number(lines[0]), cpu: secs * 1000 };
  };
  await measure('strata zstd (1 thread)', () => ({ size: zstdPinned(tar).length }));
  await measure('strata zstd (parallel)', async () => {
    const z = new ParallelZstd();
    let size = 0;
    for (let i = 0; i < tar.length; i += 1 << 20) for (const c of await z.push(tar.subarray(i, i + (1 << 20)))) size += c.length;
    for (const c of await z.finish()) size += c.length;
    return { size };
  });
  await measure('zstd -3 (1 thread)', tool('zstd -3 -T1 -c'));
  await measure('zstd -1 (1 thread)', tool('zstd -1 -T1 -c'));
  await measure('gzip -n -6', tool('gzip -n -6 -c'));
} finally {
  rmSync(base, { recursive: true, force: true });
}
