/**
 * One pass from entries to a layer blob: tar bytes → diff_id hash → pinned gzip → blob
 * hash → sink. Gzip blocks are compressed in worker threads (pinned-gzip.ts); at most a
 * small window of 128 KiB blocks is in flight, so a 1 GB layer needs a few MB of memory.
 */
import { DigestCounter, type Digest } from '../digest/digest.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR, MEDIA_TYPE_LAYER_ZSTD } from '../oci/types.js';
import type { TarEntry } from './entry.js';
import type { DeflatePool } from './deflate-pool.js';
import { ParallelGzip } from './pinned-gzip.js';
import { prepareEntries, type PrepareOptions } from './prepare.js';
import { writeTar } from './writer.js';
import { ParallelZstd } from './zstd-frame.js';

/** Where compressed bytes go (e.g. a store blob writer). `write` may apply backpressure. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** 'gzip' is the pinned default; 'zstd' is strata's own pinned zstd (ADR 0166); 'none' writes plain tar. */
export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerResult {
  readonly mediaType: string;
  /** sha256 of the uncompressed tar (rootfs.diff_ids). */
  readonly diffId: Digest;
  /** sha256 of the blob as written to the sink (the manifest's layer digest). */
  readonly digest: Digest;
  readonly size: number;
  readonly uncompressedSize: number;
  readonly entryCount: number;
}

export interface LayerOptions extends PrepareOptions {
  readonly compression?: LayerCompression;
  /** Worker pool for gzip (default: the shared one). Changes speed only, never bytes. */
  readonly deflatePool?: DeflatePool;
}

export async function writeLayer(entries: readonly TarEntry[], sink: ByteSink, opts: LayerOptions): Promise<LayerResult> {
  const prepared = prepareEntries(entries, opts);
  const compression = opts.compression ?? 'gzip';
  const tarHash = new DigestCounter();
  const blobHash = new DigestCounter();
  const gz = compression === 'gzip' ? new ParallelGzip(opts.deflatePool ? { pool: opts.deflatePool } : {}) : compression === 'zstd' ? new ParallelZstd() : undefined;
  const emit = async (chunks: readonly Uint8Array[]): Promise<void> => {
    for (const c of chunks) {
      blobHash.update(c);
      await sink.write(c);
    }
  };
  for await (const chunk of writeTar(prepared)) {
    tarHash.update(chunk);
    await emit(gz ? await gz.push(chunk) : [chunk]);
  }
  if (gz) await emit(await gz.finish());
  const diffId = tarHash.digest();
  const digest = blobHash.digest();
  return {
    mediaType: compression === 'gzip' ? MEDIA_TYPE_LAYER_GZIP : compression === 'zstd' ? MEDIA_TYPE_LAYER_ZSTD : MEDIA_TYPE_LAYER_TAR,
    diffId,
    digest: gz ? digest : diffId,
    size: blobHash.size,
    uncompressedSize: tarHash.size,
    entryCount: prepared.length,
  };
}
