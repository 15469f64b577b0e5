import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { StrataError } from '../errors.js';
import { DEFLATE_BLOCK_SIZE as B, DEFLATE_DICTIONARY_SIZE } from './block-deflate.js';
import { compressThreads, DeflatePool } from './deflate-pool.js';
import type { TarEntry } from './entry.js';
import { writeLayer } from './layer.js';
import { gzipPinned, ParallelGzip, PinnedGzip, PINNED_GZIP } from './pinned-gzip.js';

const require = createRequire(import.meta.url);
interface PakoHigh {
  Deflate: new (o: Record<string, unknown>) => { push(d: Uint8Array, f: number): boolean; onData(c: Uint8Array): void; err: number };
  deflateRaw(d: Uint8Array, o: Record<string, unknown>): Uint8Array;
}
const pako = require('pako') as PakoHigh;
const pakoCrc32 = require('pako/lib/zlib/crc32.js') as (crc: number, buf: Uint8Array, len: number, pos: number) => number;

/** Text-like runs mixed with noise, so deflate finds matches across block boundaries. */
function sample(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  const rnd = (): number => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const words = ['static ', 'int ', 'return ', 'void ', '{\n', '}\n', 'layer', 'strata ', '(x)', ';\n', 'for ', 'const '];
  let i = 0;
  while (i < n) {
    if (rnd() % 9 === 0) {
      const run = 1 + (rnd() % 40);
      for (let k = 0; k < run && i < n; k++) out[i++] = rnd() & 0xff;
    } else {
      const w = words[rnd() % words.length]!;
      for (let k = 0; k < w.length && i < n; k++) out[i++] = w.charCodeAt(k);
    }
  }
  return out;
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * The format written out independently of the implementation: pako's high-level Deflate
 * (a fresh stream per block, `dictionary` option), the gzip header bytes, and a trailer
 * from pako's own CRC-32.
 */
function referenceGzip(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])];
  const blocks = Math.max(1, Math.ceil(data.length / B));
  for (let i = 0; i < blocks; i++) {
    const opts: Record<string, unknown> = { level: 6, raw: true, windowBits: 15, memLevel: 8, chunkSize: 1 << 20 };
    if (i > 0) opts.dictionary = data.slice(i * B - DEFLATE_DICTIONARY_SIZE, i * B);
    const d = new pako.Deflate(opts);
    d.onData = (c) => void parts.push(c);
    const last = i === blocks - 1;
    assert.ok(d.push(data.subarray(i * B, (i + 1) * B), last ? 4 : 2));
    assert.equal(d.err, 0);
  }
  const t = Buffer.alloc(8);
  t.writeUInt32LE(pakoCrc32(0, data, data.length, 0) >>> 0, 0);
  t.writeUInt32LE(data.length % 2 ** 32, 4);
  parts.push(t);
  return concat(parts);
}

async function parallel(data: Uint8Array, pool: DeflatePool, chunk: number, window?: number, inlineBlocks = 0): Promise<Uint8Array> {
  const g = new ParallelGzip(window === undefined ? { pool, inlineBlocks } : { pool, window, inlineBlocks });
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += chunk) out.push(...(await g.push(data.subarray(i, i + chunk))));
  out.push(...(await g.finish()));
  return concat(out);
}

function gzipTestOk(gz: Uint8Array): void {
  execFileSync('gzip', ['-t'], { input: gz });
}

const BOUNDARY_SIZES = [0, 1, 2, B - 1, B, B + 1, 2 * B, 2 * B + 1, 3 * B + 12345];

test('pinned gzip equals the format built independently from pako high-level blocks, at every block boundary', () => {
  const data = sample(3 * B + 12345, 5);
  for (const n of BOUNDARY_SIZES) {
    const input = data.subarray(0, n);
    const gz = gzipPinned(input);
    assert.equal(sha(gz), sha(referenceGzip(input)), `size ${n}`);
    assert.deepEqual(new Uint8Array(gunzipSync(gz)), input, `round trip, size ${n}`);
    gzipTestOk(gz);
  }
});

test('empty and one-byte inputs give exact, valid gzip members', () => {
  const empty = gzipPinned(new Uint8Array(0));
  // header, final empty fixed-Huffman block, CRC 0, ISIZE 0
  assert.deepEqual([...empty], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(gunzipSync(empty).length, 0);
  gzipTestOk(empty);
  const one = gzipPinned(new TextEncoder().encode('a'));
  // 'a' as one fixed-Huffman literal; CRC-32('a') = 0xe8b7be43; ISIZE 1
  assert.deepEqual([...one], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 1, 0, 0, 0]);
  assert.equal(gunzipSync(one).toString(), 'a');
  gzipTestOk(one);
});

test('exactly one block is one finished deflate stream; one byte more starts a second block after a sync flush', () => {
  const data = sample(B + 1, 9);
  const oneBlock = gzipPinned(data.subarray(0, B));
  const raw = pako.deflateRaw(data.subarray(0, B), { level: 6, windowBits: 15, memLevel: 8 });
  assert.equal(sha(oneBlock.subarray(10, oneBlock.length - 8)), sha(raw));
  const twoBlocks = gzipPinned(data);
  // the first block is compressed with a sync flush, so it ends with an empty stored block
  const d = new pako.Deflate({ level: 6, raw: true, windowBits: 15, memLevel: 8, chunkSize: 1 << 20 });
  const parts: Uint8Array[] = [];
  d.onData = (c) => void parts.push(c);
  d.push(data.subarray(0, B), 2);
  const flushed = concat(parts);
  assert.deepEqual([...flushed.subarray(flushed.length - 4)], [0x00, 0x00, 0xff, 0xff]);
  assert.equal(sha(twoBlocks.subarray(10, 10 + flushed.length)), sha(flushed));
  assert.deepEqual(new Uint8Array(gunzipSync(twoBlocks)), data);
});

test('same bytes for pool sizes 1, 2 and 4, for the in-thread path, and for any input chunking', async () => {
  const data = sample(4 * B + 777, 21);
  const expected = sha(gzipPinned(data));
  assert.equal(expected, sha(referenceGzip(data)));
  const pools = [1, 2, 4].map((n) => new DeflatePool(n));
  try {
    for (const pool of pools) {
      for (const chunk of [4096, B - 1, B, B + 1, 300_001]) {
        assert.equal(sha(await parallel(data, pool, chunk)), expected, `pool ${pool.size}, chunk ${chunk}`);
      }
    }
    // tiny chunks and a window of 1 (every block waits for the previous one)
    assert.equal(sha(await parallel(data, pools[1]!, 997, 1)), expected);
    const seq = new PinnedGzip();
    const out: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 65_537) out.push(...seq.push(data.subarray(i, i + 65_537)));
    out.push(...seq.finish());
    assert.equal(sha(concat(out)), expected);
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
});

test('parallel gzip: boundary sizes are valid and round-trip; the first inlineBlocks blocks never need a worker', async () => {
  const data = sample(3 * B + 12345, 33);
  const pool = new DeflatePool(2);
  try {
    for (const n of BOUNDARY_SIZES) {
      const input = data.subarray(0, n);
      const gz = await parallel(input, pool, 50_000);
      assert.equal(sha(gz), sha(gzipPinned(input)), `size ${n}`);
      assert.deepEqual(new Uint8Array(gunzipSync(gz)), input);
      gzipTestOk(gz);
    }
  } finally {
    await pool.close();
  }
  const closed = new DeflatePool(1);
  await closed.close();
  // a closed pool rejects every job, so these can only succeed in the calling thread
  assert.equal(sha(await parallel(data.subarray(0, 2 * B), closed, 1000, undefined, 2)), sha(gzipPinned(data.subarray(0, 2 * B))));
  await assert.rejects(parallel(data.subarray(0, 2 * B + 1), closed, 1000, undefined, 2));
  // mixed: two blocks inline, the rest in workers
  const mixedPool = new DeflatePool(2);
  try {
    assert.equal(sha(await parallel(data, mixedPool, 77_777, undefined, 2)), sha(gzipPinned(data)));
  } finally {
    await mixedPool.close();
  }
});

test('parallel gzip keeps at most `window` blocks in flight (backpressure)', async () => {
  const pool = new DeflatePool(2);
  let outstanding = 0;
  let peak = 0;
  const counting = Object.create(pool) as DeflatePool;
  counting.compress = async (block, dict, last) => {
    outstanding++;
    peak = Math.max(peak, outstanding);
    try {
      return await pool.compress(block, dict, last);
    } finally {
      outstanding--;
    }
  };
  try {
    const data = sample(10 * B, 44);
    const gz = await parallel(data, counting, 5 * B, 3);
    assert.equal(peak, 3);
    assert.equal(sha(gz), sha(gzipPinned(data)));
  } finally {
    await pool.close();
  }
});

test('a failing block rejects with a StrataError and the pool keeps working', async () => {
  const pool = new DeflatePool(1);
  try {
    await assert.rejects(pool.compress(new Uint8Array(B + 1), undefined, true), (e: unknown) => e instanceof StrataError && e.code === 'tar/compress-failed');
    const out = await pool.compress(new TextEncoder().encode('a'), undefined, true);
    assert.deepEqual([...out], [0x4b, 0x04, 0x00]);
  } finally {
    await pool.close();
  }
});

test('STRATA_COMPRESS_THREADS: a whole number, else an input error naming the variable', () => {
  assert.equal(compressThreads('3'), 3);
  assert.ok(compressThreads(undefined) >= 1);
  for (const bad of ['0', 'x', '-1', '1.5', '257']) {
    assert.throws(() => compressThreads(bad), (e: unknown) => e instanceof StrataError && e.code === 'tar/bad-compress-threads' && e.exitCode === 2 && /STRATA_COMPRESS_THREADS/.test(e.format()));
  }
});

test('writeLayer digests do not depend on the pool size; the compressor identity names the format', async () => {
  const big = sample(10 * B + 99, 55); // more than the 8 blocks compressed inline
  const entries = (): TarEntry[] => [
    { path: 'a', type: 'dir', mode: 0o755, mtime: 1 },
    { path: 'a/big', type: 'file', mode: 0o644, mtime: 1, size: big.length, content: () => [big.subarray(0, 1000), big.subarray(1000)] },
  ];
  const digests = new Set<string>();
  for (const n of [1, 2, 4]) {
    const pool = new DeflatePool(n);
    try {
      const r = await writeLayer(entries(), { write: () => undefined }, { sourceDateEpoch: 1, deflatePool: pool });
      digests.add(r.digest);
    } finally {
      await pool.close();
    }
  }
  assert.equal(digests.size, 1);
  assert.equal(PINNED_GZIP.format, 'blocked-deflate-2');
  assert.equal(PINNED_GZIP.blockSize, B);
});
