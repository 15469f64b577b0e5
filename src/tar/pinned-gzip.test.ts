import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib, { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { concatBytes as concat } from '../bytes.js';
import { StrataError } from '../errors.js';
import { repoRoot } from '../testutil/paths.js';
import { BlockDeflater, crc32Update, DEFLATE_BLOCK_SIZE as B, DEFLATE_DICTIONARY_SIZE as D, deflateAddon, ENCODER_VERSION } from './block-deflate.js';
import { compressThreads, DeflatePool } from './deflate-pool.js';
import type { TarEntry } from './entry.js';
import { writeLayer } from './layer.js';
import { gzipPinned, ParallelGzip, PinnedGzip, PINNED_GZIP } from './pinned-gzip.js';
import { noise as randomBytes, pushInSteps, pushInStepsAsync, sha256Hex as sha, textSample as sample } from './testsupport.js';

/** CRC-32 written out here, independent of the implementation's. */
function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface InflateStats {
  readonly out: Uint8Array;
  /** BTYPE of every deflate block, in order. */
  readonly types: number[];
  readonly finals: number;
  readonly maxLen: number;
  readonly maxDist: number;
}

/**
 * A small independent inflater (RFC 1951) that also reports what the encoder chose:
 * block types, longest match, farthest distance. `history` is the preset window.
 */
function inflateStats(data: Uint8Array, history: Uint8Array = new Uint8Array(0)): InflateStats {
  let pos = 0;
  let bit = 0;
  const need = (): void => assert.ok(pos < data.length, 'inflate: out of input');
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      need();
      v |= ((data[pos]! >> bit) & 1) << i;
      if (++bit === 8) ((bit = 0), pos++);
    }
    return v;
  };
  type Code = { counts: number[]; symbols: number[] };
  const code = (lens: readonly number[]): Code => {
    const counts = new Array<number>(16).fill(0);
    for (const l of lens) counts[l]!++;
    counts[0] = 0;
    let left = 1;
    for (let l = 1; l < 16; l++) ((left = left * 2 - counts[l]!), assert.ok(left >= 0, 'over-subscribed code'));
    const used = lens.filter((l) => l > 0).length;
    assert.ok(left === 0 || used === 1, `incomplete code (${used} codes)`);
    const symbols: number[] = [];
    for (let l = 1; l < 16; l++) lens.forEach((x, s) => void (x === l && symbols.push(s)));
    return { counts, symbols };
  };
  const decode = (c: Code): number => {
    let first = 0;
    let index = 0;
    let v = 0;
    for (let l = 1; l < 16; l++) {
      v |= bits(1);
      const n = c.counts[l]!;
      if (v - first < n) return c.symbols[index + v - first]!;
      index += n;
      first = (first + n) << 1;
      v <<= 1;
    }
    throw new Error('inflate: bad code');
  };
  const LB = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const LE = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const DB = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
  const DE = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  const out: number[] = [...history];
  const types: number[] = [];
  let finals = 0;
  let maxLen = 0;
  let maxDist = 0;
  for (;;) {
    if (pos >= data.length) break;
    const final = bits(1);
    const type = bits(2);
    types.push(type);
    if (type === 0) {
      if (bit) ((bit = 0), pos++);
      const len = data[pos]! | (data[pos + 1]! << 8);
      const nlen = data[pos + 2]! | (data[pos + 3]! << 8);
      assert.equal(len ^ 0xffff, nlen, 'stored LEN/NLEN');
      pos += 4;
      assert.ok(pos + len <= data.length);
      for (let i = 0; i < len; i++) out.push(data[pos + i]!);
      pos += len;
    } else {
      assert.ok(type === 1 || type === 2, 'reserved block type');
      let ll: Code;
      let dd: Code;
      if (type === 1) {
        const l = [...new Array<number>(144).fill(8), ...new Array<number>(112).fill(9), ...new Array<number>(24).fill(7), ...new Array<number>(8).fill(8)];
        ll = code(l);
        dd = code(new Array<number>(32).fill(5)); // 30 and 31 never occur but complete the code
      } else {
        const hlit = bits(5) + 257;
        const hdist = bits(5) + 1;
        const hclen = bits(4) + 4;
        const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
        const pl = new Array<number>(19).fill(0);
        for (let i = 0; i < hclen; i++) pl[order[i]!] = bits(3);
        const pre = code(pl);
        const lens: number[] = [];
        while (lens.length < hlit + hdist) {
          const s = decode(pre);
          if (s < 16) lens.push(s);
          else if (s === 16) {
            assert.ok(lens.length > 0, 'repeat with no previous length');
            const prev = lens.at(-1)!;
            for (let r = 3 + bits(2); r > 0; r--) lens.push(prev);
          } else for (let r = s === 17 ? 3 + bits(3) : 11 + bits(7); r > 0; r--) lens.push(0);
        }
        assert.equal(lens.length, hlit + hdist, 'code lengths overrun');
        assert.ok(lens[256]! > 0, 'no end-of-block code');
        ll = code(lens.slice(0, hlit));
        dd = code(lens.slice(hlit));
      }
      for (;;) {
        const s = decode(ll);
        if (s < 256) out.push(s);
        else if (s === 256) break;
        else {
          const i = s - 257;
          const len = LB[i]! + bits(LE[i]!);
          const dc = decode(dd);
          const dist = DB[dc]! + bits(DE[dc]!);
          assert.ok(dist <= out.length && dist <= 32768, `distance ${dist} too far`);
          maxLen = Math.max(maxLen, len);
          maxDist = Math.max(maxDist, dist);
          for (let k = 0; k < len; k++) out.push(out[out.length - dist]!);
        }
      }
    }
    if (final) {
      finals++;
      break;
    }
  }
  return { out: new Uint8Array(out.slice(history.length)), types, finals, maxLen, maxDist };
}

async function parallel(data: Uint8Array, pool: DeflatePool, chunk: number, window?: number, inlineBlocks = 0): Promise<Uint8Array> {
  const g = new ParallelGzip(window === undefined ? { pool, inlineBlocks } : { pool, window, inlineBlocks });
  return pushInStepsAsync(g, data, chunk);
}

/** Both decoders of the host: Node's zlib and GNU gzip (-t and -dc). */
function roundTrips(gz: Uint8Array, input: Uint8Array, what: string): void {
  assert.ok(Buffer.from(gunzipSync(gz)).equals(Buffer.from(input)), `zlib round trip: ${what}`);
  execFileSync('gzip', ['-t'], { input: gz });
  assert.ok(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 26 }).equals(Buffer.from(input)), `gzip -dc round trip: ${what}`);
}

/** The framing written out independently: header, per-block raw deflate, CRC-32 and ISIZE. */
function framed(data: Uint8Array): Uint8Array {
  const deflater = new BlockDeflater();
  const parts: Uint8Array[] = [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])];
  const blocks = Math.max(1, Math.ceil(data.length / B));
  for (let i = 0; i < blocks; i++) {
    const dict = i > 0 ? data.slice(i * B - D, i * B) : undefined;
    parts.push(deflater.compress(data.slice(i * B, (i + 1) * B), dict, i === blocks - 1));
  }
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc32(data), 0);
  t.writeUInt32LE(data.length % 2 ** 32, 4);
  parts.push(t);
  return concat(parts);
}

const BOUNDARY_SIZES = [0, 1, 2, B - 1, B, B + 1, 2 * B, 2 * B + 1, 3 * B + 12345];

test('pinned gzip is the blocked framing at every block boundary: header, one raw deflate per 128 KiB block, CRC-32 and ISIZE', () => {
  const data = sample(3 * B + 12345, 5);
  for (const n of BOUNDARY_SIZES) {
    const input = data.subarray(0, n);
    const gz = gzipPinned(input);
    assert.equal(sha(gz), sha(framed(input)), `size ${n}`);
    roundTrips(gz, input, `size ${n}`);
  }
});

test('every non-last block ends byte-aligned with an empty stored block and inflates alone from its dictionary; the last is final', () => {
  const data = sample(3 * B + 999, 77);
  const deflater = new BlockDeflater();
  for (let i = 0; i < 4; i++) {
    const block = data.slice(i * B, (i + 1) * B);
    const dict = i > 0 ? data.slice(i * B - D, i * B) : undefined;
    const last = i === 3;
    const raw = deflater.compress(block, dict, last);
    const viaZlib = zlib.inflateRawSync(raw, { ...(dict ? { dictionary: dict } : {}), finishFlush: zlib.constants.Z_SYNC_FLUSH });
    assert.ok(Buffer.from(viaZlib).equals(Buffer.from(block)), `block ${i} via zlib`);
    const st = inflateStats(raw, dict);
    assert.ok(Buffer.from(st.out).equals(Buffer.from(block)), `block ${i} via the test inflater`);
    if (last) {
      assert.equal(st.finals, 1);
    } else {
      assert.equal(st.finals, 0);
      assert.deepEqual([...raw.subarray(raw.length - 4)], [0x00, 0x00, 0xff, 0xff]);
      assert.equal(st.types.at(-1), 0);
    }
  }
});

test('empty and one-byte inputs give exact, valid gzip members', () => {
  const empty = gzipPinned(new Uint8Array(0));
  // header, final empty fixed-Huffman block, CRC 0, ISIZE 0
  assert.deepEqual([...empty], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
  roundTrips(empty, new Uint8Array(0), 'empty');
  const one = gzipPinned(new TextEncoder().encode('a'));
  // 'a' as one fixed-Huffman literal; CRC-32('a') = 0xe8b7be43; ISIZE 1
  assert.deepEqual([...one], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 1, 0, 0, 0]);
  roundTrips(one, new TextEncoder().encode('a'), 'one byte');
});

test('all-zero MiB: 258-byte matches at distance 1, a few hundred bytes per block', () => {
  const zeros = new Uint8Array(1 << 20);
  const gz = gzipPinned(zeros);
  roundTrips(gz, zeros, 'zeros');
  assert.ok(gz.length < 8 * 300, `${gz.length} bytes`);
  const st = inflateStats(gz.subarray(10, gz.length - 8));
  assert.equal(st.maxLen, 258);
  assert.equal(st.maxDist, 1);
});

test('random bytes go into stored blocks (never more than the stored size), across block boundaries', () => {
  const rnd = randomBytes(2 * B + 5000, 3);
  const gz = gzipPinned(rnd);
  roundTrips(gz, rnd, 'random');
  const st = inflateStats(gz.subarray(10, gz.length - 8));
  assert.ok(st.types.every((t) => t === 0), `block types ${st.types.join(',')}`);
  // 10 + 8 framing; 5 bytes per stored block: one per deflate block (at most 16384 symbols,
  // here one per byte), one more per 65535 bytes, and the empty one ending each 128 KiB block
  assert.ok(gz.length <= rnd.length + 18 + 5 * (Math.ceil(rnd.length / 16384) + Math.ceil(rnd.length / 65535) + 3), `${gz.length} bytes for ${rnd.length}`);
});

test('a match at distance exactly 32768 is found; one at 32769 is not', () => {
  const rnd = randomBytes(40000, 8);
  const at = (dist: number): Uint8Array => {
    const d = rnd.slice();
    d.set(rnd.subarray(100, 400), 100 + dist);
    return d;
  };
  const exact = at(32768);
  const st = inflateStats(new BlockDeflater().compress(exact, undefined, true));
  assert.ok(Buffer.from(st.out).equals(Buffer.from(exact)));
  assert.equal(st.maxDist, 32768);
  assert.equal(st.maxLen, 258);
  const beyond = at(32769);
  const st2 = inflateStats(new BlockDeflater().compress(beyond, undefined, true));
  assert.ok(Buffer.from(st2.out).equals(Buffer.from(beyond)));
  assert.ok(st2.maxDist < 32768);
  roundTrips(gzipPinned(exact), exact, 'distance 32768');
});

test('runs crossing block boundaries use the dictionary: matches reach back into the previous block', () => {
  const text = sample(1000, 4);
  const data = randomBytes(3 * B, 12);
  // the same 1000 bytes just before and just after each boundary
  for (const b of [B, 2 * B]) {
    data.set(text, b - 2000);
    data.set(text, b + 100);
  }
  const gz = gzipPinned(data);
  roundTrips(gz, data, 'runs across boundaries');
  const block2 = new BlockDeflater().compress(data.slice(B, 2 * B), data.slice(B - D, B), false);
  const st = inflateStats(block2, data.slice(B - D, B));
  assert.ok(st.maxDist >= 2100, `farthest distance ${st.maxDist}`);
  // a long run of one byte across a boundary
  const run = sample(2 * B, 6);
  run.fill(0x61, B - 5000, B + 5000);
  roundTrips(gzipPinned(run), run, 'byte run across a boundary');
});

test('text compresses with dynamic blocks and round-trips through both decoders', () => {
  const text = sample(5 * B + 3, 17);
  const gz = gzipPinned(text);
  roundTrips(gz, text, 'text');
  const st = inflateStats(gz.subarray(10, gz.length - 8));
  assert.ok(st.types.includes(2));
  // no worse than GNU gzip -6 by more than 1 % (ADR 0161's size target)
  const gzip6 = execFileSync('gzip', ['-n', '-6'], { input: text, maxBuffer: 1 << 26 }).length;
  assert.ok(gz.length <= gzip6 * 1.01, `${gz.length} bytes, gzip -6 ${gzip6}`);
});

test('property: any small input of a few runs round-trips and does not depend on chunking', () => {
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 700 }) }).map(({ byte, n }) => new Uint8Array(n).fill(byte)),
    fc.record({ back: fc.integer({ min: 1, max: 2000 }), n: fc.integer({ min: 3, max: 600 }) }),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }), fc.integer({ min: 1, max: 5000 }), (pieces, chunk) => {
      const bytes: number[] = [];
      for (const p of pieces) {
        if (p instanceof Uint8Array) bytes.push(...p);
        else for (let k = 0; k < p.n; k++) bytes.push(bytes.length >= p.back ? bytes[bytes.length - p.back]! : k & 0xff);
      }
      const input = new Uint8Array(bytes);
      const gz = gzipPinned(input);
      assert.ok(Buffer.from(gunzipSync(gz)).equals(Buffer.from(input)));
      assert.ok(Buffer.from(inflateStats(gz.subarray(10, gz.length - 8)).out).equals(Buffer.from(input)));
      assert.equal(sha(pushInSteps(new PinnedGzip(), input, chunk)), sha(gz));
    }),
    { numRuns: 150 },
  );
});

/** A deterministic ~2 MiB corpus: text, noise, zeros, long repeats, all in one. */
function goldenCorpus(): Uint8Array {
  const parts = [sample(900_000, 2024), randomBytes(200_000, 99), new Uint8Array(150_000), sample(600_000, 7)];
  const c = concat(parts);
  c.copyWithin(1_500_000, 100_000, 200_000); // a 100 kB repeat 1.4 MB back (beyond the window)
  c.copyWithin(1_700_000, 1_680_000, 1_690_000); // a 10 kB repeat 20 kB back
  return c;
}

test('golden: the encoder output for a fixed 2 MiB corpus (any change to the bytes is a new format version)', () => {
  const corpus = goldenCorpus();
  assert.equal(sha(corpus), '4affc571b7969831caf0564dff323c3be223286cb50dba51a0f4f9b9a9b5cddd');
  const gz = gzipPinned(corpus);
  roundTrips(gz, corpus, 'golden corpus');
  // If this fails, the layer bytes changed: bump PINNED_GZIP.format/version and
  // BUILD_FORMAT_VERSION, write an ADR, regenerate distribution/digests (docs/reproducibility.md §2).
  assert.equal(`${gz.length} ${sha(gz)}`, '982795 16244b8869273d42678e6da8a5118e1882e2c4190ec6b061ff77ffab80cddce1');
});

test('the C encoder under AddressSanitizer and UBSan gives the same bytes as the addon', (t) => {
  const cc = spawnSync('gcc', ['--version']);
  if (cc.status !== 0) return t.skip('no gcc on this host');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-deflate-san-'));
  try {
    const exe = path.join(dir, 'deflate_driver');
    const src = path.join(repoRoot, 'native', 'src');
    execFileSync('gcc', ['-std=c11', '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-Wall', '-Wextra', '-Werror', '-o', exe,
      path.join(src, 'deflate_driver.c'), path.join(src, 'deflate.c')]);
    const inputs: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['one byte', new Uint8Array([7])],
      ['text', sample(2 * B + 4321, 31)],
      ['random', randomBytes(B + 17, 5)],
      ['zeros', new Uint8Array(B * 2)],
      ['golden', goldenCorpus().subarray(0, 700_000)],
    ];
    for (const [what, input] of inputs) {
      const r = spawnSync(exe, [], { input, maxBuffer: 1 << 26, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
      assert.equal(r.status, 0, `${what}: ${r.stderr.toString()}`);
      assert.equal(r.stderr.length, 0, `${what}: ${r.stderr.toString()}`);
      assert.equal(sha(r.stdout), sha(gzipPinned(input)), what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('same bytes for pool sizes 1, 2 and 4, for the in-thread path, and for any input chunking', async () => {
  const data = sample(4 * B + 777, 21);
  const expected = sha(gzipPinned(data));
  assert.equal(expected, sha(framed(data)));
  const pools = [1, 2, 4].map((n) => new DeflatePool(n));
  try {
    for (const pool of pools) {
      for (const chunk of [4096, B - 1, B, B + 1, 300_001]) {
        assert.equal(sha(await parallel(data, pool, chunk)), expected, `pool ${pool.size}, chunk ${chunk}`);
      }
    }
    // tiny chunks and a window of 1 (every block waits for the previous one)
    assert.equal(sha(await parallel(data, pools[1]!, 997, 1)), expected);
    assert.equal(sha(pushInSteps(new PinnedGzip(), data, 65_537)), expected);
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
      roundTrips(gz, input, `parallel, size ${n}`);
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
  assert.throws(() => new BlockDeflater().compress(new Uint8Array(10), new Uint8Array(5), false), (e: unknown) => e instanceof StrataError && e.code === 'tar/compress-failed');
});

test('CRC-32: the addon (used where Node has no zlib.crc32), crc32Update and an independent bitwise CRC agree, also when continued', () => {
  const addon = deflateAddon();
  assert.equal(addon.encoderVersion, ENCODER_VERSION);
  for (const input of [new Uint8Array(0), new TextEncoder().encode('a'), sample(100_000, 3), randomBytes(4097, 9)]) {
    const want = crc32(input);
    assert.equal(addon.crc32(0, input) >>> 0, want);
    assert.equal(crc32Update(0, input), want);
    const half = input.length >> 1;
    assert.equal(addon.crc32(addon.crc32(0, input.subarray(0, half)), input.subarray(half)) >>> 0, want);
  }
  assert.equal(addon.crc32(0, new TextEncoder().encode('123456789')) >>> 0, 0xcbf43926);
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
  assert.deepEqual({ ...PINNED_GZIP }, { library: 'strata-deflate', version: 1, format: 'blocked-deflate-3', windowBits: 15, blockSize: B, dictionarySize: D });
});
