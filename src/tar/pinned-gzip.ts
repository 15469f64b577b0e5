/**
 * The pinned layer compressor (ADR 0052; format blocked-deflate-3, ADRs 0057 and 0161): a
 * gzip member whose deflate stream is the blocked format of block-deflate.ts — fixed
 * 128 KiB blocks, each compressed by strata's own encoder (native/src/deflate.c, encoder
 * version 1) with the previous block's last 32 KiB as history.
 * Header `1f 8b 08 00 00000000 00 03` (mtime 0, no name, XFL 0, OS 3), trailer CRC-32 and
 * ISIZE over the whole input. The bytes depend only on the input: not on the caller's
 * chunking, not on the thread count, not on Node's or the host's zlib (used only for the
 * CRC-32, a defined function, when Node has it).
 *
 * Two implementations of the same bytes:
 * - `PinnedGzip` / `gzipPinned`: synchronous, in the calling thread (small blobs, tests);
 * - `ParallelGzip`: blocks compressed in a worker pool with a bounded window in flight.
 */
import { concatBytes } from '../bytes.js';
import {
  checkEncoder,
  crc32Update,
  DEFLATE_BLOCK_SIZE,
  DEFLATE_DICTIONARY_SIZE,
  ENCODER_NAME,
  ENCODER_VERSION,
  gzipHeader,
  gzipTrailer,
  localDeflater,
} from './block-deflate.js';
import { BlockCutter, type CutBlocks } from './block-cutter.js';
import { type BlockFormat, ParallelBlockStream, SyncBlockStream } from './block-stream.js';
import { type DeflatePool, sharedDeflatePool } from './deflate-pool.js';

/** Everything that decides the compressed bytes (part of the build cache key). */
export const PINNED_GZIP = Object.freeze({
  library: ENCODER_NAME,
  version: ENCODER_VERSION,
  format: 'blocked-deflate-3',
  windowBits: 15,
  blockSize: DEFLATE_BLOCK_SIZE,
  dictionarySize: DEFLATE_DICTIONARY_SIZE,
});

/** CRC-32 of everything updated (the gzip trailer's checksum). */
class Crc32 {
  value = 0;
  update(data: Uint8Array): void {
    this.value = crc32Update(this.value, data);
  }
}

/** The gzip member around the blocked deflate stream: cutter, header and trailer. */
function gzipFormat(): BlockFormat {
  const crc = new Crc32();
  const cutter = new BlockCutter({ blockSize: DEFLATE_BLOCK_SIZE, historySize: DEFLATE_DICTIONARY_SIZE, check: crc });
  return { cutter, header: gzipHeader, trailer: () => gzipTrailer(crc.value, cutter.length) };
}

/** One block in the calling thread (`data` is one block, `history` its dictionary). */
function deflateHere(cut: CutBlocks): Uint8Array {
  return localDeflater().compress(cut.data, cut.history ?? undefined, cut.last);
}

/** Streaming pinned gzip in the calling thread. `push` bytes, then `finish`; each returns the output ready so far. */
export class PinnedGzip extends SyncBlockStream {
  constructor() {
    super(gzipFormat(), deflateHere);
  }
}

export interface ParallelGzipOptions {
  /** Default: the shared pool (one worker per core, or STRATA_COMPRESS_THREADS). */
  readonly pool?: DeflatePool;
  /**
   * Blocks in flight at most (memory ≈ window × 128 KiB × 1.5). Default: 16 per worker
   * (4 MiB of input for 2 workers), enough slack that workers rarely starve when the
   * main thread waits for a time slice on a loaded host.
   */
  readonly window?: number;
  /**
   * The first this many blocks are compressed in the calling thread (default 8, i.e.
   * 1 MiB): small layers, the common case, then never wait for worker start-up.
   */
  readonly inlineBlocks?: number;
}

/**
 * Streaming pinned gzip with blocks compressed in worker threads; same bytes as
 * `PinnedGzip`. `push` waits while the window is full (backpressure) and returns the
 * compressed output that is ready, in order. The first `inlineBlocks` blocks are
 * compressed in the calling thread, so small layers never start a worker.
 */
export class ParallelGzip extends ParallelBlockStream {
  constructor(opts: ParallelGzipOptions = {}) {
    checkEncoder();
    const inlineBlocks = opts.inlineBlocks ?? 8;
    const pool = (): DeflatePool => opts.pool ?? sharedDeflatePool();
    let blocks = 0;
    const encode = (cut: CutBlocks): Promise<Uint8Array> =>
      // Inline blocks: the same bytes as a worker would give; a settled promise keeps the order.
      blocks++ < inlineBlocks ? Promise.resolve(deflateHere(cut)) : pool().compress(cut.data, cut.history ?? undefined, cut.last);
    super(gzipFormat(), encode, () => opts.window ?? pool().size * 16);
  }
}

/** Compress a whole buffer in the calling thread (small blobs, tests). */
export function gzipPinned(data: Uint8Array): Uint8Array {
  const g = new PinnedGzip();
  return concatBytes([...g.push(data), ...g.finish()]);
}
