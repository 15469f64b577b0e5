/**
 * The cache key of one image build (ADR 0095): the sha256 of the canonical JSON of every
 * input the output may depend on, and nothing else (no mtimes, no paths on the host).
 * Pure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../oci/canonical-json.js';
import { PINNED_GZIP } from '../tar/pinned-gzip.js';
import { PINNED_ZSTD } from '../tar/zstd-frame.js';
import type { ContextListingEntry } from './context.js';

/** Bump when the builder's output for the same inputs changes (layer format, config fields…). */
export const BUILD_FORMAT_VERSION = 7; // 2: blocked parallel gzip layers (ADR 0057); 3: owners/modes of created directories (ADR 0145); 4: Healthcheck and FROM --platform in the config, HEALTHCHECK history text, ADD archive xattrs (ADRs 0170-0172); 5: strata-deflate layers, blocked-deflate-3 (ADR 0161); 6: MAINTAINER as author, EXPOSE ranges expanded, CMD kept by a later ENTRYPOINT of the same stage (ADR 0174); 7: COPY --from keeps user.* and security.capability (ADR 0155)

export interface CacheKeyInput {
  readonly image: string;
  readonly target: string | undefined;
  readonly targetIndex: number;
  /** sha256 hex of the Containerfile bytes. */
  readonly containerfile: string;
  /** sha256 hex of the package.toml bytes. */
  readonly packageToml: string;
  readonly context: readonly ContextListingEntry[];
  readonly sources: readonly { readonly file: string; readonly hash: string }[];
  readonly seed: string | undefined;
  /** Every store image the target reads (FROM, COPY --from) → its manifest digest. */
  readonly deps: Readonly<Record<string, string>>;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly platform: string;
  readonly sourceDateEpoch: number;
  readonly namespace: string;
  /** --allow-network changes what a RUN may see. */
  readonly network: boolean;
  /** --layer-compression (default gzip): selects the pinned compressor in the key. */
  readonly layerCompression?: 'gzip' | 'zstd';
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function cacheKey(full: CacheKeyInput): string {
  // gzip keys stay as they were; zstd names its own pinned encoder instead
  const { layerCompression, ...input } = full;
  return sha256Hex(canonicalJson({
    format: BUILD_FORMAT_VERSION,
    compressor: layerCompression === 'zstd' ? { ...PINNED_ZSTD } : { ...PINNED_GZIP },
    ...input,
    target: input.target ?? null,
    seed: input.seed ?? null,
    context: input.context.map((e) => ({ ...e })),
    sources: [...input.sources].map((s) => ({ ...s })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
  }));
}
