/**
 * Loads strata's own zstd block encoder (native/src/zstd_encode.c, ADR 0166) built by
 * node-gyp into native/build/Release/strata_zstd.node. The addon only compresses single
 * blocks and hashes (XXH64); framing is in zstd-frame.ts.
 */
import { nativeAddonLoader } from './native-addon.js';

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

/** The addon (loaded on the first call; a missing build is an io error naming the fix). */
export const zstdAddon: () => ZstdAddon = nativeAddonLoader<ZstdAddon>({
  file: 'strata_zstd.node',
  what: 'the native zstd encoder',
  missingCode: 'tar/zstd-encoder-missing',
  missingHint: "run 'npm run build:native' (needs python3, make and a C compiler), or build with --layer-compression gzip",
  missingKind: 'io',
});

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
