/**
 * The pinned zstd layer format (ADR 0166, docs/reproducibility.md §2b): one zstd frame
 * (RFC 8878) whose blocks are made by strata's own encoder (native/src/zstd_encode.c).
 * The tar stream is cut into fixed 128 KiB blocks; block i is encoded from itself and the
 * (at most 1 MiB of) stream bytes before it, nothing else, so blocks can be encoded in
 * any order on any number of threads and the frame's bytes depend only on the input.
 *
 * Frame: magic `28 b5 2f fd`, Frame_Header_Descriptor `04` (no content size, not single
 * segment, checksum, no dictionary), Window_Descriptor `51` (1 MiB + 128 KiB), the blocks,
 * then the low 32 bits of XXH64 (seed 0) of the whole input, little-endian.
 *
 * - `PinnedZstd` / `zstdPinned`: in the calling thread (tests, small blobs);
 * - `ParallelZstd`: blocks encoded on libuv thread-pool threads, a bounded window in flight.
 */
import { concatBytes } from '../bytes.js';
import { StrataError } from '../errors.js';
import { BlockCutter, type CutBlocks } from './block-cutter.js';
import { type BlockFormat, ParallelBlockStream, SyncBlockStream } from './block-stream.js';
import { compressThreads } from './deflate-pool.js';
import { Xxh64, zstdAddon } from './zstd-native.js';

/** Fixed forever for this format version: changing any changes every zstd layer digest. */
export const ZSTD_BLOCK_SIZE = 128 * 1024;
export const ZSTD_HISTORY_SIZE = 1024 * 1024;
/** Window_Size of the frame = the farthest any match reaches back. */
export const ZSTD_WINDOW_SIZE = ZSTD_HISTORY_SIZE + ZSTD_BLOCK_SIZE;
/** Window_Descriptor for ZSTD_WINDOW_SIZE: exponent 10 (2^20), mantissa 1 (+1/8). */
export const ZSTD_WINDOW_DESCRIPTOR = 0x51;

/** Everything that decides the compressed bytes (part of the build cache key). */
export const PINNED_ZSTD = Object.freeze({
  encoder: 'strata-zstd',
  format: 'blocked-zstd-1',
  blockSize: ZSTD_BLOCK_SIZE,
  historySize: ZSTD_HISTORY_SIZE,
  windowSize: ZSTD_WINDOW_SIZE,
});

function zstdFrameHeader(): Uint8Array {
  return new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x04, ZSTD_WINDOW_DESCRIPTOR]);
}

function zstdFrameTrailer(checksumLow32: number): Uint8Array {
  const t = new Uint8Array(4);
  new DataView(t.buffer).setUint32(0, checksumLow32 >>> 0, true);
  return t;
}

/**
 * Blocks encoded in one call (ADR 0166): they share one match finder, so the history is
 * indexed once per group instead of once per block. Changes speed only, never bytes.
 */
const ZSTD_GROUP_BLOCKS = 4;

/** The frame around the blocks: cutter (groups of `group` blocks), header and checksum trailer. */
function zstdFormat(group: number): BlockFormat {
  const hash = new Xxh64();
  const cutter = new BlockCutter({ blockSize: ZSTD_BLOCK_SIZE, historySize: ZSTD_HISTORY_SIZE, group, check: hash });
  return { cutter, header: zstdFrameHeader, trailer: () => zstdFrameTrailer(hash.low32()) };
}

function encodeSync(g: CutBlocks): Uint8Array {
  return zstdAddon().encodeBlocks(g.history, g.data, ZSTD_WINDOW_SIZE, ZSTD_HISTORY_SIZE, g.last);
}

/** Streaming pinned zstd in the calling thread. `push` bytes, then `finish`. */
export class PinnedZstd extends SyncBlockStream {
  /** `group`: blocks per encoder call (speed only; default ZSTD_GROUP_BLOCKS). */
  constructor(group = ZSTD_GROUP_BLOCKS) {
    super(zstdFormat(group), encodeSync);
  }
}

/** Compress a whole buffer in the calling thread. */
export function zstdPinned(data: Uint8Array): Uint8Array {
  const z = new PinnedZstd();
  return concatBytes([...z.push(data), ...z.finish()]);
}

/**
 * The process-wide limit on blocks being encoded at once: STRATA_COMPRESS_THREADS (or
 * one per core), but below libuv's thread pool size so file I/O keeps a thread.
 */
class EncodeSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly size: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

let slots: EncodeSlots | undefined;
function sharedSlots(): EncodeSlots {
  const uvPool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return (slots ??= new EncodeSlots(Math.max(1, Math.min(compressThreads(process.env.STRATA_COMPRESS_THREADS), uvPool - 1))));
}

function encodeAsync(g: CutBlocks): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zstdAddon().encodeBlocksAsync(g.history, g.data, ZSTD_WINDOW_SIZE, ZSTD_HISTORY_SIZE, g.last, (err, out) => {
      if (out && !err) return resolve(out);
      reject(new StrataError('tar/compress-failed', `zstd compression failed: ${err?.message ?? 'no output'}`, {
        hint: 'retry the build; if it persists, report the error (or build with --layer-compression gzip)',
        kind: 'build',
        cause: err,
      }));
    });
  });
}

export interface ParallelZstdOptions {
  /** Blocks encoded at once (default: the process-wide STRATA_COMPRESS_THREADS limit). Changes speed only. */
  readonly threads?: number;
  /** Groups in flight at most (default 2 per thread). Changes memory only. */
  readonly window?: number;
  /** Blocks per encoder call (default ZSTD_GROUP_BLOCKS). Changes speed only. */
  readonly group?: number;
}

/**
 * Streaming pinned zstd with blocks encoded off the main thread; same bytes as
 * `PinnedZstd`. `push` waits while the window is full and returns the output that is
 * ready, in order.
 */
export class ParallelZstd extends ParallelBlockStream {
  constructor(opts: ParallelZstdOptions = {}) {
    zstdAddon(); // fail early when the encoder is not built
    const slots = opts.threads !== undefined ? new EncodeSlots(opts.threads) : sharedSlots();
    const window = opts.window ?? slots.size * 2;
    super(zstdFormat(opts.group ?? ZSTD_GROUP_BLOCKS), (g) => slots.run(() => encodeAsync(g)), () => window);
  }
}
