/**
 * Streaming deterministic tar writer. Memory is bounded by the largest single chunk a
 * content source yields: file data is never gathered.
 */
import { createReadStream } from 'node:fs';
import { concatBytes } from '../bytes.js';
import { StrataError } from '../errors.js';
import type { ContentSource, PreparedEntry, TarEntry } from './entry.js';
import { BLOCK, encodeHeader, padLength } from './header.js';
import { prepareEntries, type PrepareOptions } from './prepare.js';

const ZEROS = new Uint8Array(BLOCK * 2);

/**
 * Yield the tar bytes of already prepared entries, then the end-of-archive marker (two
 * zero blocks; no padding to a 10 KiB record). Throws `tar/size-changed` when a content
 * source yields a different number of bytes than declared.
 */
export async function* writeTar(entries: readonly PreparedEntry[]): AsyncGenerator<Uint8Array> {
  for (const e of entries) {
    yield encodeHeader(e);
    if (e.typeflag !== '0' || e.size === 0) {
      if (e.typeflag === '0' && e.content) await expectBytes(e, e.content, 0);
      continue;
    }
    let written = 0;
    for await (const chunk of e.content!()) {
      written += chunk.length;
      if (written > e.size) sizeChanged(e, written);
      if (chunk.length) yield chunk;
    }
    if (written !== e.size) sizeChanged(e, written);
    const pad = padLength(e.size);
    if (pad) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}

async function expectBytes(e: PreparedEntry, content: ContentSource, n: number): Promise<void> {
  let got = 0;
  for await (const c of content()) got += c.length;
  if (got !== n) sizeChanged(e, got);
}

function sizeChanged(e: PreparedEntry, got: number): never {
  throw new StrataError('tar/size-changed', `'${e.path}' changed while being archived: expected ${e.size} bytes, read ${got}${got > e.size ? '+' : ''}`, {
    hint: 'make sure nothing writes to the tree while a layer is taken',
    kind: 'build',
  });
}

/** Prepare and write in one call. */
export function writeTarEntries(entries: readonly TarEntry[], opts: PrepareOptions): AsyncGenerator<Uint8Array> {
  return writeTar(prepareEntries(entries, opts));
}

/** A content source reading a file from disk in 256 KiB chunks. */
export function fileSource(absPath: string): ContentSource {
  return () => createReadStream(absPath, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
}

/** A content source over bytes in memory (small files, tests). */
export function bytesSource(data: Uint8Array | string): ContentSource {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return () => [bytes];
}

/** Collect an async byte stream into one buffer (tests, small archives only). */
export async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return concatBytes(parts);
}
