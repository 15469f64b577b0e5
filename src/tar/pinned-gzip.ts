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
  dictionaryAfter,
  ENCODER_NAME,
  ENCODER_VERSION,
  gzipHeader,
  gzipTrailer,
  localDeflater,
} from './block-deflate.js';
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

interface CutBlock {
  readonly block: Uint8Array;
  readonly dictionary: Uint8Array | undefined;
  readonly last: boolean;
}

/**
 * Cuts a byte stream into the format's blocks and keeps CRC-32 and length. A full block
 * is released only when more input arrives (or at finish), because whether a block is the
 * last one decides how it is flushed. Each released block owns a fresh buffer.
 */
class BlockCutter {
  private cur = new Uint8Array(DEFLATE_BLOCK_SIZE);
  private fill = 0;
  private tail: Uint8Array | undefined;
  crc = 0;
  length = 0;

  push(data: Uint8Array): CutBlock[] {
    const out: CutBlock[] = [];
    if (data.length === 0) return out;
    this.crc = crc32Update(this.crc, data);
    this.length += data.length;
    let off = 0;
    while (off < data.length) {
      if (this.fill === DEFLATE_BLOCK_SIZE) out.push(this.release(false));
      const n = Math.min(data.length - off, DEFLATE_BLOCK_SIZE - this.fill);
      this.cur.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    return out;
  }

  finish(): CutBlock {
    return this.release(true);
  }

  private release(last: boolean): CutBlock {
    const block = this.fill === DEFLATE_BLOCK_SIZE ? this.cur : this.cur.slice(0, this.fill);
    const cut = { block, dictionary: this.tail, last };
    this.tail = last ? undefined : dictionaryAfter(block);
    this.cur = new Uint8Array(DEFLATE_BLOCK_SIZE);
    this.fill = 0;
    return cut;
  }
}

/** Streaming pinned gzip in the calling thread. `push` bytes, then `finish`; each returns the output ready so far. */
export class PinnedGzip {
  private readonly cutter = new BlockCutter();
  private readonly deflater = localDeflater();
  private started = false;

  push(data: Uint8Array): Uint8Array[] {
    return this.cutter.push(data).map((b) => this.compress(b));
  }

  finish(): Uint8Array[] {
    const out = [this.compress(this.cutter.finish())];
    out.push(gzipTrailer(this.cutter.crc, this.cutter.length));
    return out.filter((c) => c.length > 0);
  }

  private compress(b: CutBlock): Uint8Array {
    const deflated = this.deflater.compress(b.block, b.dictionary, b.last);
    if (this.started) return deflated;
    this.started = true;
    return concatBytes([gzipHeader(), deflated]);
  }
}

interface InFlight {
  readonly promise: Promise<Uint8Array>;
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
export class ParallelGzip {
  private readonly cutter = new BlockCutter();
  private readonly poolOption: DeflatePool | undefined;
  private readonly windowOption: number | undefined;
  private readonly inlineBlocks: number;
  private blocks = 0;
  private readonly inflight: InFlight[] = [];
  private headerSent = false;
  private failed: unknown;

  constructor(opts: ParallelGzipOptions = {}) {
    checkEncoder();
    this.poolOption = opts.pool;
    this.windowOption = opts.window;
    this.inlineBlocks = opts.inlineBlocks ?? 8;
  }

  async push(data: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const b of this.cutter.push(data)) {
      this.submit(b);
      while (this.inflight.length >= this.window()) out.push(await this.takeOldest());
    }
    return this.withHeader(out);
  }

  async finish(): Promise<Uint8Array[]> {
    this.submit(this.cutter.finish());
    const out: Uint8Array[] = [];
    while (this.inflight.length > 0) out.push(await this.takeOldest());
    out.push(gzipTrailer(this.cutter.crc, this.cutter.length));
    return this.withHeader(out);
  }

  private pool(): DeflatePool {
    return this.poolOption ?? sharedDeflatePool();
  }

  private window(): number {
    return this.windowOption ?? this.pool().size * 16;
  }

  private submit(b: CutBlock): void {
    if (this.blocks++ < this.inlineBlocks) {
      // Same bytes as a worker would give; a settled promise keeps the output in order.
      this.inflight.push({ promise: Promise.resolve(localDeflater().compress(b.block, b.dictionary, b.last)) });
      return;
    }
    const promise = this.pool().compress(b.block, b.dictionary, b.last);
    // Keep a rejection from being reported as unhandled before we await it in order.
    promise.catch((e: unknown) => void (this.failed ??= e));
    this.inflight.push({ promise });
  }

  private async takeOldest(): Promise<Uint8Array> {
    const f = this.inflight.shift()!;
    try {
      return await f.promise;
    } catch (e) {
      // Drain the rest so no rejection is left dangling, then report the first failure.
      await Promise.allSettled(this.inflight.splice(0).map((x) => x.promise));
      throw this.failed ?? e;
    }
  }

  private withHeader(out: Uint8Array[]): Uint8Array[] {
    if (out.length > 0 && !this.headerSent) {
      this.headerSent = true;
      out.unshift(gzipHeader());
    }
    return out.filter((c) => c.length > 0);
  }
}

/** Compress a whole buffer in the calling thread (small blobs, tests). */
export function gzipPinned(data: Uint8Array): Uint8Array {
  const g = new PinnedGzip();
  return concatBytes([...g.push(data), ...g.finish()]);
}
