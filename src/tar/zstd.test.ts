import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { concatBytes as concat } from '../bytes.js';
import { StrataError } from '../errors.js';
import type { TarEntry } from './entry.js';
import { writeLayer } from './layer.js';
import { bytesSource } from './writer.js';
import { zstdDecompress } from './zstd-decode.js';
import {
  ParallelZstd,
  PINNED_ZSTD,
  PinnedZstd,
  ZSTD_BLOCK_SIZE as B,
  ZSTD_HISTORY_SIZE,
  ZSTD_WINDOW_DESCRIPTOR,
  ZSTD_WINDOW_SIZE,
  zstdPinned,
} from './zstd-frame.js';
import { pushInSteps, pushInStepsAsync, rng, SAMPLE_WORDS, sha256Hex as sha, textSample } from './testsupport.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Source-like text with noise (Huffman literals, matches across blocks). */
const sample = (n: number, seed: number): Uint8Array => textSample(n, seed, [...SAMPLE_WORDS, 'zstd', '\t']);

/** Decompress with the host's zstd (an independent decoder) and check the frame with `zstd -t`. */
function hostDecode(frame: Uint8Array): Uint8Array {
  const t = spawnSync('zstd', ['-t', '-q'], { input: frame });
  assert.equal(t.status, 0, `zstd -t failed: ${t.stderr.toString()}`);
  return new Uint8Array(execFileSync('zstd', ['-dc'], { input: frame, maxBuffer: 1 << 28 }));
}

function roundTrip(data: Uint8Array, what: string): Uint8Array {
  const frame = zstdPinned(data);
  const back = hostDecode(frame);
  assert.equal(back.length, data.length, `${what}: length`);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)), `${what}: bytes differ after zstd -dc`);
  return frame;
}

test('frame parameters: window descriptor names history + one block', () => {
  const exp = ZSTD_WINDOW_DESCRIPTOR >> 3;
  const mantissa = ZSTD_WINDOW_DESCRIPTOR & 7;
  const base = 2 ** (10 + exp);
  assert.equal(base + (base / 8) * mantissa, ZSTD_WINDOW_SIZE);
  assert.equal(ZSTD_WINDOW_SIZE, ZSTD_HISTORY_SIZE + B);
  assert.deepEqual({ ...PINNED_ZSTD }, { encoder: 'strata-zstd', format: 'blocked-zstd-1', blockSize: 131072, historySize: 1048576, windowSize: 1179648 });
});

test('exact bytes of the empty and the one-byte stream', () => {
  // magic, FHD 04 (checksum, no size), WD 51, last raw block of 0 bytes, XXH64('') low 32 bits
  assert.equal(hex(roundTrip(new Uint8Array(0), 'empty')), '28b52ffd0451' + '010000' + '99e9d851');
  assert.equal(hex(roundTrip(new Uint8Array([0x61]), 'one byte')), '28b52ffd0451' + '09000061' + '5b6e8ca9');
});

test('round trip through zstd -dc at block-boundary sizes', () => {
  for (const n of [2, 63, 64, 1000, B - 1, B, B + 1, 2 * B, 2 * B + 1]) roundTrip(sample(n, n), `size ${n}`);
});

test('zeros become RLE blocks; random bytes stay raw, never bigger than input + framing', () => {
  const zeros = roundTrip(new Uint8Array(3 * B + 17), 'zeros');
  assert.ok(zeros.length < 40, `zeros: ${zeros.length} bytes`);
  const rnd = new Uint8Array(randomBytes(2 * B + 5));
  const f = roundTrip(rnd, 'random');
  assert.ok(f.length <= rnd.length + 6 + 3 * 3 + 4, `random: ${f.length} bytes for ${rnd.length}`);
});

test('text compresses (Huffman literals, predefined FSE sequences)', () => {
  const data = sample(3 * B, 11);
  const f = roundTrip(data, 'text');
  assert.ok(f.length < data.length * 0.6, `text: ${f.length} of ${data.length}`);
});

test('literals with bytes above 128: Huffman with FSE-coded weights beats raw', () => {
  // few matches, skewed byte values over the whole 0..255 range
  const rnd = rng(12345);
  const data = new Uint8Array(B);
  for (let i = 0; i < data.length; i++) {
    const r = rnd();
    data[i] = r % 4 === 0 ? r >>> 24 : 200 + ((r >>> 8) % 8);
  }
  const f = roundTrip(data, 'skewed high bytes');
  assert.ok(f.length < data.length * 0.75, `skewed: ${f.length} of ${data.length}`);
});

test('binary literals above 128 and long runs of one match round-trip', () => {
  const hi = new Uint8Array(B);
  for (let i = 0; i < hi.length; i++) hi[i] = 128 + ((i * 7919) % 128);
  roundTrip(hi, 'high bytes');
  const chunk = new Uint8Array(randomBytes(300 * 1024));
  const rep = concat([chunk, chunk, chunk, chunk.subarray(0, 1000)]);
  const f = roundTrip(rep, 'long matches across blocks');
  assert.ok(f.length < chunk.length + 20_000, `repeats found: ${f.length}`);
});

test('matches reach back to the window limit and no farther', () => {
  const r = new Uint8Array(randomBytes(8 * 1024));
  const mk = (gap: number): Uint8Array => concat([r, new Uint8Array(randomBytes(gap)), r]);
  // the copy starts exactly ZSTD_HISTORY_SIZE + 4096 after the original: within the window
  const near = mk(ZSTD_HISTORY_SIZE + 4096 - r.length);
  const fNear = roundTrip(near, 'near the limit');
  // and just beyond the window: cannot match
  const far = mk(ZSTD_WINDOW_SIZE - r.length + 1);
  const fFar = roundTrip(far, 'beyond the limit');
  assert.ok(near.length - fNear.length > 7000, `near: the repeat was not found (${fNear.length} of ${near.length})`);
  assert.ok(fFar.length >= far.length, `far: ${fFar.length} of ${far.length}`);
});

test('history beyond one block: block i sees the previous 1 MiB, even across many blocks', () => {
  const base = sample(5 * B, 3);
  roundTrip(concat([base, sample(4 * B, 4), base]), 'repeat after 9 blocks');
});

test('golden: the bytes of a fixed corpus never change', () => {
  const frame = zstdPinned(sample(1_500_000, 7));
  assert.equal(hostDecode(frame).length, 1_500_000);
  assert.equal(sha(frame), GOLDEN_SHA256);
});
// If this changes, the zstd layer format changed: that needs a new ADR and format version.
const GOLDEN_SHA256 = '4f5cd33a7300bae15ccf995dd3da8db1f6aa4d3b0ed33fd6cd5528b10490d3f7';

test('chunking, grouping of blocks and thread count never change the bytes', async () => {
  // 10 blocks: later blocks see a full 1 MiB history that starts inside earlier groups
  const data = sample(10 * B + 12345, 9);
  const whole = zstdPinned(data);
  // one block per call: each block given only its own history (the format's definition)
  assert.equal(sha(pushInSteps(new PinnedZstd(1), data, data.length)), sha(whole), 'one block per call');
  for (const [step, group] of [[997, 4], [65536, 2], [B, 3], [300_001, 8], [data.length, 64]] as const) {
    assert.equal(sha(pushInSteps(new PinnedZstd(group), data, step)), sha(whole), `PinnedZstd, chunks of ${step}, groups of ${group}`);
  }
  for (const [threads, window, group] of [[1, 1, 1], [2, 8, 4], [3, 2, 2], [2, 1, 5]] as const) {
    const z = new ParallelZstd({ threads, window, group });
    assert.equal(sha(await pushInStepsAsync(z, data, 77_777)), sha(whole), `ParallelZstd threads ${threads} window ${window} group ${group}`);
  }
});

test('property: any input round-trips through zstd -dc', () => {
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 })).map(([u, k]) => concat(Array.from({ length: k }, () => u))),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const data = concat(pieces);
      const back = hostDecode(zstdPinned(data));
      return Buffer.from(back).equals(Buffer.from(data));
    }),
    { numRuns: 30, seed: 4242 },
  );
});

test('writeLayer zstd: media type, blob digest and diff_id', async () => {
  const entries: TarEntry[] = [
    { path: 'etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 },
    { path: 'etc/motd', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 6, content: bytesSource('hello\n') },
  ];
  const blob: Uint8Array[] = [];
  const r = await writeLayer(entries, { write: (c) => void blob.push(c) }, { sourceDateEpoch: 1, compression: 'zstd' });
  const tar: Uint8Array[] = [];
  const plain = await writeLayer(entries, { write: (c) => void tar.push(c) }, { sourceDateEpoch: 1, compression: 'none' });
  const bytes = concat(blob);
  assert.equal(r.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(r.digest, `sha256:${sha(bytes)}`);
  assert.equal(r.size, bytes.length);
  assert.equal(r.diffId, plain.diffId);
  assert.equal(`sha256:${sha(hostDecode(bytes))}`, r.diffId);
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return concat(parts);
}

async function* chunks(data: Uint8Array, step: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += step) yield data.subarray(i, i + step);
}

test('zstdDecompress streams through the host zstd; clear errors when missing or corrupt', async () => {
  const data = sample(3 * B + 5, 5);
  const frame = zstdPinned(data);
  assert.equal(sha(await collect(zstdDecompress(chunks(frame, 4096), 'layer x'))), sha(data));
  await assert.rejects(collect(zstdDecompress(chunks(frame, 4096), 'layer x', 'strata-no-such-zstd-tool')), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'tar/zstd-missing');
    assert.match(e.hint ?? '', /apt-get install zstd/);
    return true;
  });
  const bad = new Uint8Array(frame);
  bad[bad.length - 1]! ^= 0xff; // checksum
  await assert.rejects(collect(zstdDecompress(chunks(bad, 4096), 'layer y')), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'tar/decompress-failed');
    assert.match(e.message, /^layer y: zstd data is corrupt/);
    return true;
  });
});
