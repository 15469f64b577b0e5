#!/usr/bin/env node
// Layer export benchmark: a generated tree → tar + gzip + diff_id + blob digest, with
// strata's writer (pako 2.1.0, level 6) vs GNU tar | gzip -n -6 with both sha256s.
// Usage: npx tsc -p . && node bench/layer/run.mjs   (env: SIZE_MB=500 RUNS=5 KEEP=0)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { walkDirectory } = await import(pathToFileURL(path.join(repo, 'dist/tar/walk.js')).href);
const { writeLayer } = await import(pathToFileURL(path.join(repo, 'dist/tar/layer.js')).href);

const SIZE_MB = Number(process.env.SIZE_MB ?? 500);
const RUNS = Number(process.env.RUNS ?? 5);

/** Deterministic, source-code-like content: words from a seeded PRNG, some binary-ish files. */
function generate(root, sizeMb) {
  let x = 0x9e3779b9;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const words = Array.from({ length: 4096 }, () => Array.from({ length: 2 + (rnd() % 9) }, () => String.fromCharCode(97 + (rnd() % 26))).join(''));
  const text = (n) => {
    const parts = [];
    let len = 0;
    while (len < n) {
      const w = words[rnd() % words.length] + (rnd() % 11 === 0 ? ';\n' : ' ');
      parts.push(w);
      len += w.length;
    }
    return Buffer.from(parts.join('').slice(0, n));
  };
  const binary = (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rnd() % 3 === 0 ? rnd() & 0xff : i & 0x0f;
    return b;
  };
  let total = 0;
  let files = 0;
  const target = sizeMb * 1024 * 1024;
  for (let d = 0; total < target; d++) {
    const dir = path.join(root, `pkg${d % 40}`, `sub${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 50 && total < target; f++) {
      const size = rnd() % 7 === 0 ? 200_000 + (rnd() % 800_000) : 1000 + (rnd() % 60_000);
      writeFileSync(path.join(dir, `file${f}${f % 5 === 0 ? '.bin' : '.c'}`), f % 5 === 0 ? binary(size) : text(size));
      total += size;
      files++;
    }
  }
  return { total, files };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function strataOnce(tree) {
  const t0 = process.hrtime.bigint();
  const entries = await walkDirectory(tree);
  const r = await writeLayer(entries, { write() {} }, { sourceDateEpoch: 1 });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, size: r.size, diffId: r.diffId, digest: r.digest, tarSize: r.uncompressedSize };
}

function peerOnce(dir) {
  const tops = execFileSync('ls', ['-1', dir]).toString().trim().split('\n').sort().join(' ');
  const script = `set -o pipefail; cd '${dir}' && tar --sort=name --mtime=@1 --owner=0 --group=0 --numeric-owner -cf - ${tops} | tee >(sha256sum >&2) | gzip -n -6 | tee >(wc -c >&2) | sha256sum`;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  const size = Number(r.stderr.split('\n').find((l) => /^\d+$/.test(l.trim())));
  return { ms, size };
}

const base = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-layer-'));
try {
  const tree = path.join(base, 'tree');
  mkdirSync(tree);
  const g0 = Date.now();
  const { total, files } = generate(tree, SIZE_MB);
  console.log(`tree: ${files} files, ${(total / 1048576).toFixed(0)} MiB (generated in ${((Date.now() - g0) / 1000).toFixed(1)} s)`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}`);
  const s = [];
  const p = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order so neither side always gets the warmer page cache.
    if (i % 2 === 0) { s.push(await strataOnce(tree)); p.push(peerOnce(tree)); }
    else { p.push(peerOnce(tree)); s.push(await strataOnce(tree)); }
    console.log(`run ${i + 1}: strata ${(s[i].ms / 1000).toFixed(2)} s, peer ${(p[i].ms / 1000).toFixed(2)} s`);
  }
  const sm = median(s.map((r) => r.ms));
  const pm = median(p.map((r) => r.ms));
  const ss = s[0].size;
  const ps = p[0].size;
  console.log(`strata: median ${(sm / 1000).toFixed(2)} s, gzip ${ss} bytes (tar ${s[0].tarSize}); digests stable across runs: ${new Set(s.map((r) => r.digest)).size === 1}`);
  console.log(`peer (tar | gzip -n -6 + 2x sha256sum): median ${(pm / 1000).toFixed(2)} s, gzip ${ps} bytes`);
  console.log(`strata peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (tree generation included)`);
  console.log(`time ratio strata/peer: ${(sm / pm).toFixed(2)}   size ratio strata/gzip-6: ${(ss / ps).toFixed(4)} (${(((ss - ps) / ps) * 100).toFixed(2)}%)`);
} finally {
  if (process.env.KEEP !== '1') rmSync(base, { recursive: true, force: true });
}
