/**
 * Deterministic builders for OCI objects: the same inputs give the same canonical bytes.
 * Pure: no I/O.
 */
import { sha256Digest, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { canonicalJsonBytes } from './canonical-json.js';
import {
  MEDIA_TYPE_CONFIG,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  type RuntimeConfig,
} from './types.js';

/** A JSON object together with its canonical bytes and the descriptor of those bytes. */
export interface Serialized<T> {
  readonly value: T;
  readonly bytes: Uint8Array;
  readonly descriptor: Descriptor;
}

/**
 * SOURCE_DATE_EPOCH (whole seconds) as RFC 3339 UTC with no fractional part:
 * 1 → `1970-01-01T00:00:01Z`.
 */
export function epochToRfc3339(epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 253402300799) {
    throw new StrataError('oci/bad-epoch', `SOURCE_DATE_EPOCH ${epoch} is not a whole number of seconds in 1970…9999`, {
      hint: 'set source_date_epoch in strata.toml to a non-negative integer (default 1)',
    });
  }
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parse "linux/amd64" or "linux/arm64/v8" into a Platform. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_]+$/.test(p))) {
    throw new StrataError('oci/bad-platform', `invalid platform '${s}'`, {
      hint: "write a platform as os/architecture[/variant], e.g. 'linux/amd64' or 'linux/386'",
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function serialize<T>(value: T, mediaType: string, extra?: Partial<Descriptor>): Serialized<T> {
  const bytes = canonicalJsonBytes(value);
  return { value, bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...extra } };
}

export interface ImageConfigInput {
  readonly platform: Platform;
  readonly sourceDateEpoch: number;
  /** Top-level `author` (Docker records MAINTAINER there); omitted when empty. */
  readonly author?: string;
  readonly config?: RuntimeConfig;
  /** One per layer, in order. */
  readonly diffIds: readonly Digest[];
  /** created is filled in with SOURCE_DATE_EPOCH for every entry. */
  readonly history?: readonly Omit<HistoryEntry, 'created'>[];
}

/** Drop empty members so that "no Env" and "Env: []" give the same bytes. */
function normalizeRuntimeConfig(c: RuntimeConfig | undefined): RuntimeConfig | undefined {
  if (!c) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined || v === '') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return Object.keys(out).length ? (out as RuntimeConfig) : undefined;
}

export function buildImageConfig(input: ImageConfigInput): Serialized<ImageConfig> {
  const created = epochToRfc3339(input.sourceDateEpoch);
  const runtime = normalizeRuntimeConfig(input.config);
  const value: ImageConfig = {
    created,
    ...(input.author ? { author: input.author } : {}),
    architecture: input.platform.architecture,
    os: input.platform.os,
    ...(input.platform.variant ? { variant: input.platform.variant } : {}),
    ...(runtime ? { config: runtime } : {}),
    rootfs: { type: 'layers', diff_ids: [...input.diffIds] },
    ...(input.history ? { history: input.history.map((h) => ({ ...h, created })) } : {}),
  };
  return serialize(value, MEDIA_TYPE_CONFIG);
}

export function buildManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  annotations?: Record<string, string>,
): Serialized<ImageManifest> {
  const value: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ ...l })),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
  return serialize(value, MEDIA_TYPE_MANIFEST);
}

export function buildIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): Serialized<ImageIndex> {
  const value: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_INDEX,
    manifests: [...manifests],
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
  return serialize(value, MEDIA_TYPE_INDEX);
}
