/**
 * The blocked deflate format of strata's layers (ADR 0057; encoder since ADR 0161), pure
 * and synchronous: the input is cut into fixed 128 KiB blocks; block i is compressed on its
 * own by strata-deflate (native/src/deflate.c, encoder version 1: raw deflate, window
 * 32 KiB) with the last 32 KiB of block i-1 as history; every block but the last ends
 * byte-aligned with an empty stored block (a sync flush) and the last with BFINAL. The
 * concatenation is one ordinary deflate stream. Because each block's bytes depend only on
 * that block and its predecessor, blocks can be compressed in any order by any number of
 * threads and the result is the same.
 *
 * This module does the per-block work (used by the worker threads and by the in-thread
 * path) and the gzip framing; it does no I/O beyond loading the native addon.
 */
import zlib from 'node:zlib';
import { StrataError } from '../errors.js';
import { nativeAddonLoader } from './native-addon.js';

/** Fixed forever for this format version: changing either changes every layer digest. */
export const DEFLATE_BLOCK_SIZE = 128 * 1024;
export const DEFLATE_DICTIONARY_SIZE = 32 * 1024;
/** The encoder whose bytes the format is: native/src/deflate.c at this version. */
export const ENCODER_NAME = 'strata-deflate';
export const ENCODER_VERSION = 1;

/** gzip member header: ID1 ID2, CM=8, FLG=0, MTIME=0, XFL=0, OS=3 (Unix) — as `gzip -n -6`. */
export function gzipHeader(): Uint8Array {
  return new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
}

interface DeflateAddon {
  compress(block: Uint8Array, dictionary: Uint8Array | null | undefined, last: boolean): Buffer;
  crc32(crc: number, data: Uint8Array): number;
  readonly encoderVersion: number;
}

/** The native encoder, checked to be the pinned version (loaded once per thread). */
export const deflateAddon: () => DeflateAddon = nativeAddonLoader<DeflateAddon>({
  file: 'strata_deflate.node',
  what: 'the native layer compressor',
  missingCode: 'tar/compressor-missing',
  missingHint: "run 'npm run build:native' (needs python3, make and a C compiler)",
  missingKind: 'build',
  check: (loaded) => {
    if (loaded.encoderVersion !== ENCODER_VERSION) {
      throw new StrataError('tar/compressor-version', `the native layer compressor is encoder version ${loaded.encoderVersion} but layers are pinned to version ${ENCODER_VERSION}`, {
        hint: "rebuild it from this checkout with 'npm run build:native'; another version would change every layer digest",
        kind: 'build',
      });
    }
  },
});

/** Refuse to produce layers without the pinned encoder (throws the loader's error). */
export function checkEncoder(): void {
  deflateAddon();
}

function compressFailed(detail: string): StrataError {
  return new StrataError('tar/compress-failed', `gzip compression failed: ${detail}`, {
    hint: "this is a bug in strata or a broken native build; rebuild it with 'npm run build:native'",
    kind: 'build',
  });
}

/** Compresses blocks of the format in the calling thread (the encoder state lives in the addon, one per thread). */
export class BlockDeflater {
  private readonly native: DeflateAddon;

  constructor() {
    this.native = deflateAddon();
  }

  /**
   * Compress one block. `dictionary` is the previous block's last 32 KiB (absent for the
   * first block); `last` ends the stream (BFINAL) instead of a sync flush.
   */
  compress(block: Uint8Array, dictionary: Uint8Array | undefined, last: boolean): Uint8Array {
    if (block.length > DEFLATE_BLOCK_SIZE) throw compressFailed(`block of ${block.length} bytes exceeds ${DEFLATE_BLOCK_SIZE}`);
    if (dictionary && dictionary.length !== DEFLATE_DICTIONARY_SIZE) throw compressFailed(`dictionary of ${dictionary.length} bytes, expected ${DEFLATE_DICTIONARY_SIZE}`);
    try {
      return this.native.compress(block, dictionary, last);
    } catch (e) {
      throw compressFailed(e instanceof Error ? e.message : String(e));
    }
  }
}

let local: BlockDeflater | undefined;
/** One deflater for the calling thread. */
export function localDeflater(): BlockDeflater {
  return (local ??= new BlockDeflater());
}

/** CRC-32 (ISO 3309, the gzip checksum). A defined function: any correct implementation gives the same value. */
export const crc32Update: (crc: number, data: Uint8Array) => number = (() => {
  const fromNode = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof fromNode === 'function') return (crc: number, data: Uint8Array) => fromNode(data, crc) >>> 0;
  return (crc: number, data: Uint8Array) => deflateAddon().crc32(crc, data) >>> 0;
})();

/** gzip member trailer: CRC-32 then ISIZE (input length mod 2^32), both little-endian. */
export function gzipTrailer(crc: number, inputLength: number): Uint8Array {
  const t = new Uint8Array(8);
  const v = new DataView(t.buffer);
  v.setUint32(0, crc >>> 0, true);
  v.setUint32(4, inputLength % 0x1_0000_0000, true);
  return t;
}
