#!/usr/bin/env node
// Candidate layer deflater: fflate in strata's blocked format (ADR 0057: 128 KiB blocks,
// previous 32 KiB as preset dictionary, every block but the last ended by an empty stored
// block 00 00 ff ff) at several levels, against strata's current pinned compressor (pako
// 2.1.0 level 6 when ADR 0151 was measured; strata-deflate since ADR 0161) and `gzip -n -6`. Single thread, CPU seconds, size against gzip -6; every
// fflate output is inflated by Node's zlib and compared with the input. ADR 0151.
//
// fflate is NOT a dependency of strata; install it outside the repo first:
//   npm install --prefix "$TMPDIR/ff" --save-exact fflate@0.8.3
//   npx tsc -p . && FFLATE_DIR="$TMPDIR/ff" node bench/layer/fflate.mjs
// env: CORPUS=gen (bench/layer/generate.mjs content, SIZE_MB MiB, default 32) or a file
//      path (e.g. a source-like tar: tar --sort=name -cf - -C /usr include | head -c 32M),
//      LEVELS=4,5,6,7,8,9  MEM=8 (fflate's hash size, 12+MEM bits)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!process.env.FFLATE_DIR) {
  console.error('bench/layer/fflate.mjs: FFLATE_DIR is not set — install fflate outside the repo (npm install --prefix DIR --save-exact fflate@0.8.3) and pass FFLATE_DIR=DIR');
  process.exit(2);
}
const fflate = createRequire(path.join(path.resolve(process.env.FFLATE_DIR), 'package.json'))('fflate');
const fflateVersion = createRequire(path.join(path.resolve(process.env.FFLATE_DIR), 'package.json'))('fflate/package.json').version;
const { PinnedGzip } = await import(pathToFileURL(path.join(repo, 'dist/tar/pinned-gzip.js')).href);
const { generateBuffer } = await import('./generate.mjs');

const BLOCK = 128 * 1024;
const DICT = 32 * 1024;
const corpus = process.env.CORPUS ?? 'gen';
const data = corpus === 'gen' ? generateBuffer(Number(process.env.SIZE_MB ?? 32)) : readFileSync(corpus);
const levels = (process.env.LEVELS ?? '4,5,6,7,8,9').split(',').map(Number);
const mem = Number(process.env.MEM ?? 8);

/**
 * The empty stored block that ends a non-last block (what zlib's Z_SYNC_FLUSH writes),
 * after the deflater's pending bits. fflate 0.8.3's own `flush(true)` cannot be used:
 * when 6 bits are pending it writes LEN/NLEN one byte too early (an invalid stream, ~1 in
 * 8 blocks), so the marker is written here from the pending bits fflate keeps in `s.r`
 * (bit count in the low 3 bits, the partial byte above) — internal state, fine for a
 * measurement, not for a format.
 */
function syncMarker(pending) {
  const bits = pending & 7;
  const partial = pending >> 3;
  if (bits === 0) return Uint8Array.of(0, 0, 0, 0xff, 0xff);
  if (bits <= 5) return Uint8Array.of(partial, 0, 0, 0xff, 0xff); // 3 header bits fit in the partial byte
  return Uint8Array.of(partial, 0, 0, 0, 0xff, 0xff); // the header spills into one more byte
}

function fflateBlocked(level) {
  const out = [];
  for (let off = 0; ; off += BLOCK) {
    const block = data.subarray(off, Math.min(off + BLOCK, data.length));
    const last = off + BLOCK >= data.length;
    const opts = off === 0 ? { level, mem } : { level, mem, dictionary: data.subarray(off - DICT, off) };
    const d = new fflate.Deflate(opts, (c) => out.push(c));
    d.push(block, last);
    if (last) break;
    // A full 128 KiB block is compressed completely by push (two 64 KiB passes).
    out.push(syncMarker(d.s.r));
  }
  return Buffer.concat(out);
}

function cpu(f) {
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  return [r, (c.user + c.system) / 1e6];
}

const g = spawnSync('bash', ['-c', 'gzip -n -6 | wc -c; times'], { input: data, encoding: 'utf8', maxBuffer: 1 << 20 });
const lines = g.stdout.trim().split('\n');
const gzipCpu = [...lines.at(-1).matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
const gzipSize = Number(lines[0]);
console.log(`corpus ${corpus}: ${data.length} B; fflate ${fflateVersion}, mem ${mem}; load ${os.loadavg()[0].toFixed(1)}; ${new Date().toISOString().slice(0, 10)}`);
const row = (name, size, c) =>
  console.log(`${name.padEnd(30)} cpu ${c.toFixed(2).padStart(6)} s (${(c / gzipCpu).toFixed(2)}× gzip)  size ${String(size).padStart(10)} (${size >= gzipSize ? '+' : ''}${((size / gzipSize - 1) * 100).toFixed(2)} %)`);
row('gzip -n -6', gzipSize, gzipCpu);
const pinnedRun = () => {
  const p = new PinnedGzip();
  let n = 0;
  for (const c of [...p.push(data), ...p.finish()]) n += c.length;
  return n;
};
pinnedRun(); // warm-up (JIT), as for fflate below
const [pinnedSize, pinnedCpu] = cpu(pinnedRun);
row('strata pinned gzip, blocked', pinnedSize, pinnedCpu);
for (const level of levels) {
  fflateBlocked(level); // warm-up
  const [raw, c] = cpu(() => fflateBlocked(level));
  if (!zlib.inflateRawSync(raw).equals(data)) throw new Error(`fflate level ${level}: the blocked stream does not inflate to the input`);
  row(`fflate level ${level}, blocked`, raw.length + 18, c); // + gzip header and trailer
}
