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

interface CutBlock {
  readonly block: Uint8Array;
  /** The stream bytes before the block, at most ZSTD_HISTORY_SIZE (null for block 0). */
  readonly history: Uint8Array | null;
  readonly last: boolean;
}

/**
 * Cuts a byte stream into 128 KiB blocks, keeps the checksum, and gives each block its
 * history. A full block is released only when more input arrives (or at finish), because
 * whether a block is the last one is part of its bytes. Released buffers are fresh and
 * never written again.
 */
class ZstdCutter {
  private cur = new Uint8Array(ZSTD_BLOCK_SIZE);
  private fill = 0;
  /** The last full blocks, oldest first, together at most ZSTD_HISTORY_SIZE bytes. */
  private readonly recent: Uint8Array[] = [];
  readonly hash = new Xxh64();

  push(data: Uint8Array): CutBlock[] {
    const out: CutBlock[] = [];
    if (data.length === 0) return out;
    this.hash.update(data);
    let off = 0;
    while (off < data.length) {
      if (this.fill === ZSTD_BLOCK_SIZE) out.push(this.release(false));
      const n = Math.min(data.length - off, ZSTD_BLOCK_SIZE - this.fill);
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
    const block = this.fill === ZSTD_BLOCK_SIZE ? this.cur : this.cur.slice(0, this.fill);
    const history = this.recent.length === 0 ? null : concat(this.recent);
    if (!last) {
      this.recent.push(block);
      if (this.recent.length > ZSTD_HISTORY_SIZE / ZSTD_BLOCK_SIZE) this.recent.shift();
    }
    this.cur = new Uint8Array(ZSTD_BLOCK_SIZE);
    this.fill = 0;
    return { block, history, last };
  }
}

/** Streaming pinned zstd in the calling thread. `push` bytes, then `finish`. */
export class PinnedZstd {
  private readonly cutter = new ZstdCutter();
  private started = false;

  push(data: Uint8Array): Uint8Array[] {
    return this.cutter.push(data).map((b) => this.encode(b));
  }

  finish(): Uint8Array[] {
    const out = [this.encode(this.cutter.finish())];
    out.push(zstdFrameTrailer(this.cutter.hash.low32()));
    return out;
  }

  private encode(b: CutBlock): Uint8Array {
    const bytes = zstdAddon().encodeBlock(b.history, b.block, ZSTD_WINDOW_SIZE, b.last);
    if (this.started) return bytes;
    this.started = true;
    return concat([zstdFrameHeader(), bytes]);
  }
}

/** Compress a whole buffer in the calling thread. */
export function zstdPinned(data: Uint8Array): Uint8Array {
  const z = new PinnedZstd();
  return concat([...z.push(data), ...z.finish()]);
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

function encodeAsync(b: CutBlock): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zstdAddon().encodeBlockAsync(b.history, b.block, ZSTD_WINDOW_SIZE, b.last, (err, out) => {
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
  /** Blocks in flight at most (default 4 per thread). Changes memory only. */
  readonly window?: number;
}

/**
 * Streaming pinned zstd with blocks encoded off the main thread; same bytes as
 * `PinnedZstd`. `push` waits while the window is full and returns the output that is
 * ready, in order.
 */
export class ParallelZstd {
  private readonly cutter = new ZstdCutter();
  private readonly slots: EncodeSlots;
  private readonly window: number;
  private readonly inflight: Promise<Uint8Array>[] = [];
  private headerSent = false;
  private failed: unknown;

  constructor(opts: ParallelZstdOptions = {}) {
    zstdAddon(); // fail early when the encoder is not built
    this.slots = opts.threads !== undefined ? new EncodeSlots(opts.threads) : sharedSlots();
    this.window = opts.window ?? this.slots.size * 4;
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

  private submit(b: CutBlock): void {
    const p = this.slots.run(() => encodeAsync(b));
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

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
