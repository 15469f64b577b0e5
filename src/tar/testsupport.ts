/**
 * Inputs and helpers shared by the compressor tests (pinned-gzip.test.ts, zstd.test.ts).
 * Deterministic: the golden digests of those tests are computed over these samples, so
 * any change here changes them.
 */
import { createHash } from 'node:crypto';
import { concatBytes } from '../bytes.js';

/** xorshift32 (seed 0 counts as 1). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
}

/** The words of `textSample` unless a test names others. */
export const SAMPLE_WORDS: readonly string[] = ['static ', 'int ', 'return ', 'void ', '{\n', '}\n', 'layer', 'strata ', '(x)', ';\n', 'for ', 'const '];

/**
 * Source-like text with noise: words, and one time in nine a run of 1-40 random bytes.
 * Compressors find matches across block boundaries and still meet literals.
 */
export function textSample(n: number, seed: number, words: readonly string[] = SAMPLE_WORDS): Uint8Array {
  const out = new Uint8Array(n);
  const rnd = rng(seed);
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

/** `n` bytes of xorshift32 noise. */
export function noise(n: number, seed: number): Uint8Array {
  const rnd = rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() & 0xff;
  return out;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A compressor's whole output for `data` given to `push` in pieces of `step` bytes. */
export function pushInSteps(enc: { push(d: Uint8Array): Uint8Array[]; finish(): Uint8Array[] }, data: Uint8Array, step: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += step) parts.push(...enc.push(data.subarray(i, i + step)));
  parts.push(...enc.finish());
  return concatBytes(parts);
}

/** The same for a compressor whose `push` and `finish` are asynchronous. */
export async function pushInStepsAsync(enc: { push(d: Uint8Array): Promise<Uint8Array[]>; finish(): Promise<Uint8Array[]> }, data: Uint8Array, step: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += step) parts.push(...(await enc.push(data.subarray(i, i + step))));
  parts.push(...(await enc.finish()));
  return concatBytes(parts);
}
