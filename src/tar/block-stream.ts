/**
 * The streaming shell shared by the blocked compressors (pinned-gzip.ts, zstd-frame.ts):
 * input goes through a BlockCutter, each cut piece is encoded, and the output is the
 * format's header, the encoded pieces in stream order, then its trailer. The format
 * supplies the cutter, the encoder, header and trailer; this module only keeps the order
 * (and, for the parallel shell, bounds the work in flight), so it cannot change bytes.
 */
import type { BlockCutter, CutBlocks } from './block-cutter.js';

export interface BlockFormat {
  readonly cutter: BlockCutter;
  header(): Uint8Array;
  /** Called once every piece is out (the cutter's checksum is complete). */
  trailer(): Uint8Array;
}

/** Puts the header before the first output and drops empty chunks. */
class HeaderOnce {
  private sent = false;
  constructor(private readonly header: () => Uint8Array) {}

  frame(out: Uint8Array[]): Uint8Array[] {
    if (out.length > 0 && !this.sent) {
      this.sent = true;
      out.unshift(this.header());
    }
    return out.filter((c) => c.length > 0);
  }
}

/** Encodes in the calling thread. `push` bytes, then `finish`; each returns the output ready so far. */
export class SyncBlockStream {
  private readonly header: HeaderOnce;

  constructor(
    private readonly format: BlockFormat,
    private readonly encode: (cut: CutBlocks) => Uint8Array,
  ) {
    this.header = new HeaderOnce(() => format.header());
  }

  push(data: Uint8Array): Uint8Array[] {
    return this.header.frame(this.format.cutter.push(data).map((c) => this.encode(c)));
  }

  finish(): Uint8Array[] {
    const out = [this.encode(this.format.cutter.finish())];
    out.push(this.format.trailer());
    return this.header.frame(out);
  }
}

/**
 * Encodes pieces concurrently (in whatever threads `encode` uses) and returns their output
 * in stream order. `push` waits while `window()` pieces are in flight (backpressure) and
 * returns what is ready. On a failure the rest in flight is awaited (no rejection is left
 * unhandled) and the first failure is thrown.
 */
export class ParallelBlockStream {
  private readonly header: HeaderOnce;
  private readonly inflight: Promise<Uint8Array>[] = [];
  private failed: unknown;

  constructor(
    private readonly format: BlockFormat,
    /** Starts encoding one piece; pieces are started in stream order. */
    private readonly encode: (cut: CutBlocks) => Promise<Uint8Array>,
    /** Pieces in flight at most (asked each time, so it may be decided lazily). */
    private readonly window: () => number,
  ) {
    this.header = new HeaderOnce(() => format.header());
  }

  async push(data: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const cut of this.format.cutter.push(data)) {
      this.submit(cut);
      while (this.inflight.length >= this.window()) out.push(await this.takeOldest());
    }
    return this.header.frame(out);
  }

  async finish(): Promise<Uint8Array[]> {
    this.submit(this.format.cutter.finish());
    const out: Uint8Array[] = [];
    while (this.inflight.length > 0) out.push(await this.takeOldest());
    out.push(this.format.trailer());
    return this.header.frame(out);
  }

  private submit(cut: CutBlocks): void {
    const p = this.encode(cut);
    // Keep a rejection from being reported as unhandled before we await it in order.
    p.catch((e: unknown) => void (this.failed ??= e));
    this.inflight.push(p);
  }

  private async takeOldest(): Promise<Uint8Array> {
    const p = this.inflight.shift()!;
    try {
      return await p;
    } catch (e) {
      // Drain the rest so no rejection is left dangling, then report the first failure.
      await Promise.allSettled(this.inflight.splice(0));
      throw this.failed ?? e;
    }
  }
}
