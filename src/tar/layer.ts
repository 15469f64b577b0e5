/**
 * One pass from entries to a layer blob: tar bytes → diff_id hash → pinned gzip (or zstd)
 * → blob hash → sink. Gzip blocks are compressed in worker threads (pinned-gzip.ts), zstd
 * blocks on libuv threads (zstd-frame.ts); at most a small window of 128 KiB blocks is in
 * flight, so a 1 GB layer needs a few MB of memory.
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

/** The layer's media type and the pinned compressor that makes it (none for plain tar). */
function layerEncoder(compression: LayerCompression, deflatePool: DeflatePool | undefined): { readonly mediaType: string; readonly encoder?: ParallelGzip | ParallelZstd } {
  switch (compression) {
    case 'gzip':
      return { mediaType: MEDIA_TYPE_LAYER_GZIP, encoder: new ParallelGzip(deflatePool ? { pool: deflatePool } : {}) };
    case 'zstd':
      return { mediaType: MEDIA_TYPE_LAYER_ZSTD, encoder: new ParallelZstd() };
    case 'none':
      return { mediaType: MEDIA_TYPE_LAYER_TAR };
  }
}

/** A layer blob made from a tar stream (LayerResult without the entry count). */
export type CompressedLayer = Omit<LayerResult, 'entryCount'>;

/**
 * tar bytes → diff_id hash → pinned compressor → blob hash → sink: the one pipeline
 * that turns a tar stream into a layer blob (writeLayer; a layer recompressed from its
 * tar bytes gives the same blob).
 */
export async function compressLayerStream(
  tar: AsyncIterable<Uint8Array>,
  sink: ByteSink,
  compression: LayerCompression = 'gzip',
  deflatePool?: DeflatePool,
): Promise<CompressedLayer> {
  const tarHash = new DigestCounter();
  const blobHash = new DigestCounter();
  const { mediaType, encoder } = layerEncoder(compression, deflatePool);
  const emit = async (chunks: readonly Uint8Array[]): Promise<void> => {
    for (const c of chunks) {
      blobHash.update(c);
      await sink.write(c);
    }
  };
  for await (const chunk of tar) {
    tarHash.update(chunk);
    await emit(encoder ? await encoder.push(chunk) : [chunk]);
  }
  if (encoder) await emit(await encoder.finish());
  const diffId = tarHash.digest();
  return {
    mediaType,
    diffId,
    digest: encoder ? blobHash.digest() : diffId,
    size: blobHash.size,
    uncompressedSize: tarHash.size,
  };
}

export async function writeLayer(entries: readonly TarEntry[], sink: ByteSink, opts: LayerOptions): Promise<LayerResult> {
  const prepared = prepareEntries(entries, opts);
  const layer = await compressLayerStream(writeTar(prepared), sink, opts.compression, opts.deflatePool);
  return { ...layer, entryCount: prepared.length };
}
