/** Small BlobSource/BlobSink helpers for callers and tests. */
import { createReadStream } from 'node:fs';
import { sha256Of } from './content-digest.js';
import type { BlobSource, BlobSink } from './client.js';

/** A blob held in memory. */
export function bufferBlobSource(bytes: Uint8Array): BlobSource {
  return {
    digest: sha256Of(bytes),
    length: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}

/** A blob in a file whose digest and size are known (e.g. from the store); re-hashed on upload. */
export function fileBlobSource(file: string, digest: string, length: number, highWaterMark = 1024 * 1024): BlobSource {
  return { digest, length, open: () => createReadStream(file, { highWaterMark }) };
}

/** Collects bytes in memory; `result()` is only available after commit. */
export function memorySink(): BlobSink & { result(): Buffer | undefined; aborted(): boolean } {
  const chunks: Uint8Array[] = [];
  let committed: Buffer | undefined;
  let aborted = false;
  return {
    write(c) {
      chunks.push(c);
    },
    commit() {
      committed = Buffer.concat(chunks);
    },
    abort() {
      aborted = true;
      chunks.length = 0;
    },
    result: () => committed,
    aborted: () => aborted,
  };
}
