/**
 * The block cutting shared by strata's two layer compressors: blocked deflate
 * (pinned-gzip.ts: 128 KiB blocks, 32 KiB history, one block per call) and blocked zstd
 * (zstd-frame.ts: 128 KiB blocks, 1 MiB history, groups of blocks per call). A stream is
 * cut into fixed-size blocks; block i is compressed from itself and at most `historySize`
 * stream bytes right before it, nothing else. This module decides which bytes those are;
 * it never compresses, so it cannot change a layer's bytes by itself.
 */
import { concatBytes } from '../bytes.js';

export interface CutBlocks {
  /** Consecutive blocks, all full except possibly the stream's last. */
  readonly data: Uint8Array;
  /** The at most `historySize` stream bytes right before `data`; null at the stream start. */
  readonly history: Uint8Array | null;
  /** `data` ends the stream. */
  readonly last: boolean;
}

export interface BlockCutterOptions {
  readonly blockSize: number;
  readonly historySize: number;
  /** Blocks per released piece (default 1); the last piece may have fewer. */
  readonly group?: number;
  /** Sees every input byte once, in order (the format's checksum). */
  readonly check?: { update(data: Uint8Array): void };
}

/**
 * Cuts a byte stream into blocks and those into groups. A full block is released only when
 * more input arrives (or at finish), because whether a block is the last one is part of its
 * bytes; so the empty stream is one empty last block. Every released `data` and `history`
 * is a fresh buffer the cutter never writes again.
 *
 * The history of a group is taken when the group before it is released, from the fewest
 * blocks that cover `historySize`. When those all belong to the group being released
 * (historySize ≤ blockSize × group, as for deflate), the cutter never reads a released
 * buffer afterwards, so the caller may transfer it to another thread.
 */
export class BlockCutter {
  readonly blockSize: number;
  readonly historySize: number;
  readonly group: number;
  /** Input bytes so far. */
  length = 0;
  private readonly check: { update(data: Uint8Array): void } | undefined;
  /** How many of the latest blocks can hold history for the next group. */
  private readonly keep: number;
  private cur: Uint8Array;
  private fill = 0;
  /** The latest released blocks, oldest first (only non-last, hence full, ones). */
  private readonly recent: Uint8Array[] = [];
  private pending: Uint8Array[] = [];
  private nextHistory: Uint8Array | null = null;

  constructor(opts: BlockCutterOptions) {
    const group = opts.group ?? 1;
    if (!Number.isInteger(opts.blockSize) || opts.blockSize < 1) throw new RangeError(`block size ${opts.blockSize}`);
    if (!Number.isInteger(opts.historySize) || opts.historySize < 0) throw new RangeError(`history size ${opts.historySize}`);
    if (!Number.isInteger(group) || group < 1 || group > 64) throw new RangeError(`group of ${group} blocks`);
    this.blockSize = opts.blockSize;
    this.historySize = opts.historySize;
    this.group = group;
    this.check = opts.check;
    this.keep = Math.ceil(opts.historySize / opts.blockSize);
    this.cur = new Uint8Array(opts.blockSize);
  }

  /** The pieces completed by `data` (often none). */
  push(data: Uint8Array): CutBlocks[] {
    const out: CutBlocks[] = [];
    if (data.length === 0) return out;
    this.check?.update(data);
    this.length += data.length;
    let off = 0;
    while (off < data.length) {
      if (this.fill === this.blockSize) this.release(false, out);
      const n = Math.min(data.length - off, this.blockSize - this.fill);
      this.cur.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
    return out;
  }

  /** The last piece (it holds the stream's last block, possibly empty). */
  finish(): CutBlocks {
    const out: CutBlocks[] = [];
    this.release(true, out);
    return out[0]!;
  }

  private release(last: boolean, out: CutBlocks[]): void {
    const block = this.fill === this.blockSize ? this.cur : this.cur.slice(0, this.fill);
    this.cur = new Uint8Array(this.blockSize);
    this.fill = 0;
    this.pending.push(block);
    if (!last && this.keep > 0) {
      this.recent.push(block);
      if (this.recent.length > this.keep) this.recent.shift();
    }
    if (!last && this.pending.length < this.group) return;
    const data = this.pending.length === 1 ? this.pending[0]! : concatBytes(this.pending);
    out.push({ data, history: this.nextHistory, last });
    this.pending = [];
    // taken now, while every block it needs is still the cutter's to read
    this.nextHistory = last || this.keep === 0 ? null : tail(this.recent, this.historySize);
  }
}

/** A fresh copy of the last `n` bytes of the parts together (all of them when shorter). */
function tail(parts: readonly Uint8Array[], n: number): Uint8Array {
  let skip = parts.reduce((s, p) => s + p.length, 0) - n;
  if (skip <= 0) return concatBytes(parts);
  const kept: Uint8Array[] = [];
  for (const p of parts) {
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    kept.push(skip > 0 ? p.subarray(skip) : p);
    skip = 0;
  }
  return concatBytes(kept);
}
