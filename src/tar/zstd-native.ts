/**
 * Loads strata's own zstd block encoder (native/src/zstd_encode.c, ADR 0166) built by
 * node-gyp into native/build/Release/strata_zstd.node. The addon only compresses single
 * blocks and hashes (XXH64); framing is in zstd-frame.ts.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrataError } from '../errors.js';

export interface ZstdAddon {
  /**
   * zstd blocks (headers included) of `data` cut into 128 KiB blocks, each encoded with the
   * at most `historySize` bytes before it in history ‖ data; `last` marks the final block.
   * Any grouping of blocks into calls gives the same bytes.
   */
  encodeBlocks(history: Uint8Array | null, data: Uint8Array, maxOffset: number, historySize: number, last: boolean): Buffer;
  /** The same bytes, computed on a libuv thread-pool thread. */
  encodeBlocksAsync(
    history: Uint8Array | null, data: Uint8Array, maxOffset: number, historySize: number, last: boolean,
    cb: (err: Error | undefined, out: Buffer | undefined) => void,
  ): void;
  readonly xxh64StateSize: number;
  xxh64Init(state: Uint8Array): void;
  xxh64Update(state: Uint8Array, data: Uint8Array): void;
  xxh64Low32(state: Uint8Array): number;
}

const releaseDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release');

let addon: ZstdAddon | undefined;

export function zstdAddon(): ZstdAddon {
  if (addon) return addon;
  const file = path.join(releaseDir, 'strata_zstd.node');
  if (!existsSync(file)) {
    throw new StrataError('tar/zstd-encoder-missing', `the native zstd encoder is not built (looked in ${releaseDir})`, {
      kind: 'io',
      hint: "run 'npm run build:native' (needs python3, make and a C compiler), or build with --layer-compression gzip",
    });
  }
  addon = createRequire(import.meta.url)(file) as ZstdAddon;
  return addon;
}

/** Streaming XXH64 (seed 0), the zstd Content_Checksum function. */
export class Xxh64 {
  private readonly state: Uint8Array;
  constructor() {
    const z = zstdAddon();
    this.state = new Uint8Array(z.xxh64StateSize);
    z.xxh64Init(this.state);
  }
  update(data: Uint8Array): void {
    zstdAddon().xxh64Update(this.state, data);
  }
  /** The low 32 bits of the digest (what a zstd frame stores). */
  low32(): number {
    return zstdAddon().xxh64Low32(this.state);
  }
}
