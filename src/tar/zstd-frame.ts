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

export function zstdFrameHeader(): Uint8Array {
  return new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x04, ZSTD_WINDOW_DESCRIPTOR]);
}

export function zstdFrameTrailer(checksumLow32: number): Uint8Array {
  const t = new Uint8Array(4);
  new DataView(t.buffer).setUint32(0, checksumLow32 >>> 0, true);
  return t;
}

/**
 * Blocks encoded in one call (ADR 0166): they share one match finder, so the history is
 * indexed once per group instead of once per block. Changes speed only, never bytes.
 */
export const ZSTD_GROUP_BLOCKS = 4;

interface CutGroup {
  /** Consecutive blocks, all full except possibly the stream's last. */
  readonly data: Uint8Array;
  /** The stream bytes before the group, at most ZSTD_HISTORY_SIZE (null at the start). */
  readonly history: Uint8Array | null;
  /** The group ends the stream. */
  readonly last: boolean;
}

/**
 * Cuts a byte stream into 128 KiB blocks and those into groups of `group` blocks, keeps
 * the checksum, and gives each group its history. A full block is released only when more
 * input arrives (or at finish), because whether a block is the last one is part of its
 * bytes. Released buffers are fresh and never written again.
 */
class ZstdCutter {
  private cur = new Uint8Array(ZSTD_BLOCK_SIZE);
  private fill = 0;
  /** The last full blocks, oldest first, together at most ZSTD_HISTORY_SIZE bytes. */
  private readonly recent: Uint8Array[] = [];
  private pending: Uint8Array[] = [];
  private pendingHistory: Uint8Array | null = null;
  readonly hash = new Xxh64();

  constructor(private readonly group: number) {
    if (!Number.isInteger(group) || group < 1 || group > 64) throw new RangeError(`zstd group of ${group} blocks`);
  }

  push(data: Uint8Array): CutGroup[] {
    const out: CutGroup[] = [];
    if (data.length === 0) return out;
    this.hash.update(data);
    let off = 0;
    while (off < data.length) {
      if (this.fill === ZSTD_BLOCK_SIZE) this.release(false, out);
      const n = Math.min(data.length - off, ZSTD_BLOCK_SIZE - this.fill);
      this.cur.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    return out;
  }

  finish(): CutGroup {
    const out: CutGroup[] = [];
    this.release(true, out);
    return out[0]!;
  }

  private release(last: boolean, out: CutGroup[]): void {
    const block = this.fill === ZSTD_BLOCK_SIZE ? this.cur : this.cur.slice(0, this.fill);
    if (this.pending.length === 0) this.pendingHistory = this.recent.length === 0 ? null : concatBytes(this.recent);
    this.pending.push(block);
    if (!last) {
      this.recent.push(block);
      if (this.recent.length > ZSTD_HISTORY_SIZE / ZSTD_BLOCK_SIZE) this.recent.shift();
    }
    this.cur = new Uint8Array(ZSTD_BLOCK_SIZE);
    this.fill = 0;
    if (last || this.pending.length === this.group) {
      out.push({ data: this.pending.length === 1 ? this.pending[0]! : concatBytes(this.pending), history: this.pendingHistory, last });
      this.pending = [];
      this.pendingHistory = null;
    }
  }
}

function encodeSync(g: CutGroup): Uint8Array {
  return zstdAddon().encodeBlocks(g.history, g.data, ZSTD_WINDOW_SIZE, ZSTD_HISTORY_SIZE, g.last);
}

/** Streaming pinned zstd in the calling thread. `push` bytes, then `finish`. */
export class PinnedZstd {
  private readonly cutter: ZstdCutter;
  private started = false;

  /** `group`: blocks per encoder call (speed only; default ZSTD_GROUP_BLOCKS). */
  constructor(group = ZSTD_GROUP_BLOCKS) {
    this.cutter = new ZstdCutter(group);
  }

  push(data: Uint8Array): Uint8Array[] {
    return this.cutter.push(data).map((b) => this.encode(b));
  }

  finish(): Uint8Array[] {
    const out = [this.encode(this.cutter.finish())];
    out.push(zstdFrameTrailer(this.cutter.hash.low32()));
    return out;
  }

  private encode(g: CutGroup): Uint8Array {
    const bytes = encodeSync(g);
    if (this.started) return bytes;
    this.started = true;
    return concatBytes([zstdFrameHeader(), bytes]);
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

function encodeAsync(g: CutGroup): Promise<Uint8Array> {
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
export class ParallelZstd {
  private readonly cutter: ZstdCutter;
  private readonly slots: EncodeSlots;
  private readonly window: number;
  private readonly inflight: Promise<Uint8Array>[] = [];
  private headerSent = false;
  private failed: unknown;

  constructor(opts: ParallelZstdOptions = {}) {
    zstdAddon(); // fail early when the encoder is not built
    this.cutter = new ZstdCutter(opts.group ?? ZSTD_GROUP_BLOCKS);
    this.slots = opts.threads !== undefined ? new EncodeSlots(opts.threads) : sharedSlots();
    this.window = opts.window ?? this.slots.size * 2;
  }

  async push(data: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const b of this.cutter.push(data)) {
      this.submit(b);
      while (this.inflight.length >= this.window) out.push(await this.takeOldest());
    }
    return this.withHeader(out);
  }

  async finish(): Promise<Uint8Array[]> {
    this.submit(this.cutter.finish());
    const out: Uint8Array[] = [];
    while (this.inflight.length > 0) out.push(await this.takeOldest());
    out.push(zstdFrameTrailer(this.cutter.hash.low32()));
    return this.withHeader(out);
  }

  private submit(g: CutGroup): void {
    const p = this.slots.run(() => encodeAsync(g));
    p.catch((e: unknown) => void (this.failed ??= e));
    this.inflight.push(p);
  }

  private async takeOldest(): Promise<Uint8Array> {
    const p = this.inflight.shift()!;
    try {
      return await p;
    } catch (e) {
      await Promise.allSettled(this.inflight.splice(0));
      throw this.failed ?? e;
    }
  }

  private withHeader(out: Uint8Array[]): Uint8Array[] {
    if (out.length > 0 && !this.headerSent) {
      this.headerSent = true;
      out.unshift(zstdFrameHeader());
    }
    return out;
  }
}
