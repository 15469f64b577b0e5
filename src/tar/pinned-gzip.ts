/**
 * The pinned layer compressor (ADR 0052): pako 2.1.0 (pure JavaScript, exact version in
 * package.json and the lockfile), deflate level 6, windowBits 15, memLevel 8, default
 * strategy, gzip wrapper with mtime 0, no file name, no extra field, XFL 0, OS byte 3.
 * Input is fed in fixed 64 KiB blocks so that the output does not depend on how the
 * caller happens to chunk the tar stream. Node's zlib is never used for writing.
 */
import { createRequire } from 'node:module';
import { StrataError } from '../errors.js';

interface PakoDeflate {
  push(data: Uint8Array, flush: boolean | number): boolean;
  onData(chunk: Uint8Array): void;
  onEnd(status: number): void;
  err: number;
  msg: string;
}
interface PakoModule {
  Deflate: new (options: Record<string, unknown>) => PakoDeflate;
}

const require = createRequire(import.meta.url);
const pako = require('pako') as PakoModule;

export const PINNED_GZIP = Object.freeze({ library: 'pako', version: '2.1.0', level: 6, windowBits: 15, memLevel: 8, blockSize: 64 * 1024 });

/** Version check: refuse to produce layers with any other pako than the pinned one. */
function checkPakoVersion(): void {
  const pkg = require('pako/package.json') as { version: string };
  if (pkg.version !== PINNED_GZIP.version) {
    throw new StrataError('tar/compressor-version', `pako ${pkg.version} is installed but layers are pinned to pako ${PINNED_GZIP.version}`, {
      hint: `reinstall dependencies from the lockfile (npm ci); another version would change every layer digest`,
      kind: 'build',
    });
  }
}

/**
 * Streaming gzip with the pinned compressor. `push` bytes, then `finish`; each returns
 * the compressed chunks produced so far (the caller writes them out, so memory stays
 * bounded by one input block plus pako's window).
 */
export class PinnedGzip {
  private readonly deflate: PakoDeflate;
  private out: Uint8Array[] = [];
  private readonly block = new Uint8Array(PINNED_GZIP.blockSize);
  private fill = 0;

  constructor() {
    checkPakoVersion();
    this.deflate = new pako.Deflate({
      level: PINNED_GZIP.level,
      windowBits: PINNED_GZIP.windowBits,
      memLevel: PINNED_GZIP.memLevel,
      gzip: true,
      chunkSize: 64 * 1024,
    });
    this.deflate.onData = (c) => void this.out.push(c);
    this.deflate.onEnd = () => undefined;
  }

  push(data: Uint8Array): Uint8Array[] {
    let off = 0;
    while (off < data.length) {
      const n = Math.min(data.length - off, this.block.length - this.fill);
      this.block.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.block.length) {
        this.feed(this.block, false);
        this.fill = 0;
      }
    }
    return this.take();
  }

  finish(): Uint8Array[] {
    this.feed(this.block.subarray(0, this.fill), true);
    this.fill = 0;
    return this.take();
  }

  private feed(data: Uint8Array, last: boolean): void {
    // pako reads the input synchronously inside push(), so reusing `block` is safe.
    if (!this.deflate.push(data, last) || this.deflate.err) {
      throw new StrataError('tar/compress-failed', `gzip compression failed: ${this.deflate.msg || this.deflate.err}`, { kind: 'build' });
    }
  }

  private take(): Uint8Array[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}

/** Compress a whole buffer (small blobs, tests). */
export function gzipPinned(data: Uint8Array): Uint8Array {
  const g = new PinnedGzip();
  const parts = [...g.push(data), ...g.finish()];
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
