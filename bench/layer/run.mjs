#!/usr/bin/env node
// Layer export benchmark: a generated tree → tar + gzip + diff_id + blob digest, with
// strata's writer (blocked-deflate-3: strata-deflate in worker threads, ADRs 0057, 0161) vs
// GNU tar | gzip -n -6 with both sha256s.
// Usage: npx tsc -p . && node bench/layer/run.mjs
//   env: SIZE_MB=500 RUNS=5 KEEP=0 STRATA_COMPRESS_THREADS=<default: one per core>
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { walkDirectory } = await import(pathToFileURL(path.join(repo, 'dist/tar/walk.js')).href);
const { writeLayer } = await import(pathToFileURL(path.join(repo, 'dist/tar/layer.js')).href);
const { sharedDeflatePool } = await import(pathToFileURL(path.join(repo, 'dist/tar/deflate-pool.js')).href);
const { generateTree } = await import('./generate.mjs');

const SIZE_MB = Number(process.env.SIZE_MB ?? 500);
const RUNS = Number(process.env.RUNS ?? 5);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

async function strataOnce(tree) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const entries = await walkDirectory(tree);
  const r = await writeLayer(entries, { write() {} }, { sourceDateEpoch: 1 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0); // every thread of this process, workers included
  return { ms, cpu: (c.user + c.system) / 1000, size: r.size, diffId: r.diffId, digest: r.digest, tarSize: r.uncompressedSize };
}

function peerOnce(dir) {
  const tops = execFileSync('ls', ['-1', dir]).toString().trim().split('\n').sort().join(' ');
  // `wait` reaps the process substitutions so that `times` counts them.
  const script = `set -o pipefail; cd '${dir}' && tar --sort=name --mtime=@1 --owner=0 --group=0 --numeric-owner -cf - ${tops} | tee >(sha256sum >&2) | gzip -n -6 | tee >(wc -c >&2) | sha256sum >/dev/null; wait; times >&2`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  const lines = r.stderr.split('\n');
  const size = Number(lines.find((l) => /^\d+$/.test(l.trim())));
  const children = lines.filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l.trim())).at(-1) ?? '';
  const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  return { ms, cpu: secs * 1000, size };
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

const base = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-layer-'));
try {
  const tree = path.join(base, 'tree');
  mkdirSync(tree);
  const g0 = Date.now();
  const { total, files } = generateTree(tree, SIZE_MB);
  console.log(`tree: ${files} files, ${(total / 1048576).toFixed(0)} MiB (generated in ${((Date.now() - g0) / 1000).toFixed(1)} s)`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}; strata compress threads: ${sharedDeflatePool().size}`);
  const s = [];
  const p = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order so neither side always gets the warmer page cache.
    if (i % 2 === 0) { s.push(await strataOnce(tree)); p.push(peerOnce(tree)); }
    else { p.push(peerOnce(tree)); s.push(await strataOnce(tree)); }
    console.log(`run ${i + 1}: strata ${fmt(s[i].ms)} (cpu ${fmt(s[i].cpu)}), peer ${fmt(p[i].ms)} (cpu ${fmt(p[i].cpu)}), load ${load()}`);
  }
  const sm = median(s.map((r) => r.ms));
  const pm = median(p.map((r) => r.ms));
  const sc = median(s.map((r) => r.cpu));
  const pc = median(p.map((r) => r.cpu));
  const ss = s[0].size;
  const ps = p[0].size;
  console.log(`strata: median ${fmt(sm)} wall, ${fmt(sc)} cpu; gzip ${ss} bytes (tar ${s[0].tarSize}); digests stable across runs: ${new Set(s.map((r) => r.digest)).size === 1}`);
  console.log(`peer (tar | gzip -n -6 + 2x sha256sum): median ${fmt(pm)} wall, ${fmt(pc)} cpu; gzip ${ps} bytes`);
  console.log(`strata peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (tree generation included)`);
  console.log(`time ratio strata/peer: wall ${(sm / pm).toFixed(2)}, cpu ${(sc / pc).toFixed(2)}   size ratio strata/gzip-6: ${(ss / ps).toFixed(4)} (${(((ss - ps) / ps) * 100).toFixed(2)}%)`);
} finally {
  if (process.env.KEEP !== '1') rmSync(base, { recursive: true, force: true });
}
