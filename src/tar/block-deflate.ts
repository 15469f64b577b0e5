/**
 * The blocked deflate format of strata's layers (ADR 0057), pure and synchronous: the
 * input is cut into fixed 128 KiB blocks; block i is compressed on its own by pako 2.1.0
 * (raw deflate, level 6, windowBits 15, memLevel 8, default strategy) with the last
 * 32 KiB of block i-1 as preset dictionary; every block but the last ends with a sync
 * flush (an empty stored block, so the next block starts on a byte boundary) and the last
 * with finish. The concatenation is one ordinary deflate stream. Because each block's
 * bytes depend only on that block and its predecessor, blocks can be compressed in any
 * order by any number of threads and the result is the same.
 *
 * This module does the per-block work (used by the worker threads and by the in-thread
 * path) and the gzip framing; it does no I/O.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { StrataError } from '../errors.js';

/** Fixed forever for this format version: changing either changes every layer digest. */
export const DEFLATE_BLOCK_SIZE = 128 * 1024;
export const DEFLATE_DICTIONARY_SIZE = 32 * 1024;
export const DEFLATE_LEVEL = 6;
export const DEFLATE_MEM_LEVEL = 8;
export const PAKO_VERSION = '2.1.0';

/** gzip member header: ID1 ID2, CM=8, FLG=0, MTIME=0, XFL=0, OS=3 (Unix) — as `gzip -n -6`. */
export function gzipHeader(): Uint8Array {
  return new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
}

const Z_SYNC_FLUSH = 2;
const Z_FINISH = 4;
const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_DEFLATED = 8;
const Z_DEFAULT_STRATEGY = 0;

interface PakoZStream {
  input: Uint8Array | null;
  next_in: number;
  avail_in: number;
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  msg: string;
}
interface PakoDeflateLowLevel {
  deflateInit2(strm: PakoZStream, level: number, method: number, windowBits: number, memLevel: number, strategy: number): number;
  deflateReset(strm: PakoZStream): number;
  deflateSetDictionary(strm: PakoZStream, dictionary: Uint8Array): number;
  deflate(strm: PakoZStream, flush: number): number;
}

const require = createRequire(import.meta.url);

let checked = false;
/** Refuse to produce layers with any other pako than the pinned one. */
export function checkPakoVersion(): void {
  if (checked) return;
  const pkg = require('pako/package.json') as { version: string };
  if (pkg.version !== PAKO_VERSION) {
    throw new StrataError('tar/compressor-version', `pako ${pkg.version} is installed but layers are pinned to pako ${PAKO_VERSION}`, {
      hint: 'reinstall dependencies from the lockfile (npm ci); another version would change every layer digest',
      kind: 'build',
    });
  }
  checked = true;
}

function compressFailed(detail: string): StrataError {
  return new StrataError('tar/compress-failed', `gzip compression failed: ${detail}`, {
    hint: 'this is a bug in strata or a corrupted pako installation; reinstall dependencies with npm ci',
    kind: 'build',
  });
}

/**
 * A reusable raw-deflate state (one per thread): `deflateReset` gives the same output as
 * a fresh state, so the window and hash tables are allocated once, not once per block.
 */
export class BlockDeflater {
  private readonly api: PakoDeflateLowLevel;
  private readonly strm: PakoZStream;
  private out = new Uint8Array(DEFLATE_BLOCK_SIZE + (DEFLATE_BLOCK_SIZE >> 3) + 1024);

  constructor() {
    checkPakoVersion();
    this.api = require('pako/lib/zlib/deflate.js') as PakoDeflateLowLevel;
    const ZStream = require('pako/lib/zlib/zstream.js') as new () => PakoZStream;
    this.strm = new ZStream();
    const rc = this.api.deflateInit2(this.strm, DEFLATE_LEVEL, Z_DEFLATED, -15, DEFLATE_MEM_LEVEL, Z_DEFAULT_STRATEGY);
    if (rc !== Z_OK) throw compressFailed(`deflateInit2 returned ${rc}`);
  }

  /**
   * Compress one block. `dictionary` is the previous block's last 32 KiB (absent for the
   * first block); `last` ends the stream (finish) instead of a sync flush.
   */
  compress(block: Uint8Array, dictionary: Uint8Array | undefined, last: boolean): Uint8Array {
    if (block.length > DEFLATE_BLOCK_SIZE) throw compressFailed(`block of ${block.length} bytes exceeds ${DEFLATE_BLOCK_SIZE}`);
    const { api, strm } = this;
    let rc = api.deflateReset(strm);
    if (rc !== Z_OK) throw compressFailed(`deflateReset returned ${rc}`);
    if (dictionary) {
      if (dictionary.length !== DEFLATE_DICTIONARY_SIZE) throw compressFailed(`dictionary of ${dictionary.length} bytes, expected ${DEFLATE_DICTIONARY_SIZE}`);
      rc = api.deflateSetDictionary(strm, dictionary);
      if (rc !== Z_OK) throw compressFailed(`deflateSetDictionary returned ${rc}`);
    }
    strm.input = block;
    strm.next_in = 0;
    strm.avail_in = block.length;
    strm.output = this.out;
    strm.next_out = 0;
    strm.avail_out = this.out.length;
    const flush = last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
      rc = api.deflate(strm, flush);
      if (rc !== Z_OK && rc !== Z_STREAM_END) throw compressFailed(strm.msg || `deflate returned ${rc}`);
      // Done: finish reached the stream end, or the sync flush left output space over.
      if (last ? rc === Z_STREAM_END : strm.avail_out !== 0) break;
      if (strm.avail_out !== 0) throw compressFailed('deflate stopped before the end of the stream');
      this.grow();
    }
    const result = this.out.slice(0, strm.next_out);
    strm.input = null;
    return result;
  }

  /** Incompressible input can exceed the first estimate only by headers; grow and go on. */
  private grow(): void {
    const bigger = new Uint8Array(this.out.length * 2);
    bigger.set(this.out);
    this.out = bigger;
    this.strm.output = bigger;
    this.strm.avail_out = bigger.length - this.strm.next_out;
  }
}

let local: BlockDeflater | undefined;
/** One deflater for the calling thread; safe to share because `compress` resets it. */
export function localDeflater(): BlockDeflater {
  return (local ??= new BlockDeflater());
}

interface PakoCrc32 {
  (crc: number, buf: Uint8Array, len: number, pos: number): number;
}

/** CRC-32 (ISO 3309, the gzip checksum). A defined function: any correct implementation gives the same value. */
export const crc32Update: (crc: number, data: Uint8Array) => number = (() => {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof native === 'function') return (crc: number, data: Uint8Array) => native(data, crc) >>> 0;
  const js = require('pako/lib/zlib/crc32.js') as PakoCrc32;
  return (crc: number, data: Uint8Array) => js(crc, data, data.length, 0) >>> 0;
})();

/** gzip member trailer: CRC-32 then ISIZE (input length mod 2^32), both little-endian. */
export function gzipTrailer(crc: number, inputLength: number): Uint8Array {
  const t = new Uint8Array(8);
  const v = new DataView(t.buffer);
  v.setUint32(0, crc >>> 0, true);
  v.setUint32(4, inputLength % 0x1_0000_0000, true);
  return t;
}

/** The dictionary the block following `block` (a full block) is compressed with. */
export function dictionaryAfter(block: Uint8Array): Uint8Array {
  return block.slice(block.length - DEFLATE_DICTIONARY_SIZE);
}
