/**
 * What a manifest references, read from untrusted (but digest-verified) bytes: the config
 * and layers of an image manifest, the manifests of an index. Anything malformed is a
 * `registry/bad-manifest` error; Docker schema 1 is refused. Pure.
 */
import { registryError } from './errors.js';
import { isSha256Digest } from './content-digest.js';
import { MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX } from './client.js';

export interface BlobDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export type ManifestRefs =
  | { readonly kind: 'image'; readonly mediaType: string; readonly config: BlobDescriptor; readonly layers: readonly BlobDescriptor[] }
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly BlobDescriptor[] };

function bad(where: string, why: string): never {
  throw registryError('bad-manifest', `manifest ${why}`, { where, kind: 'check', hint: 'the registry holds a manifest strata cannot use' });
}

function descriptor(untrusted: unknown, where: string, what: string): BlobDescriptor {
  if (typeof untrusted !== 'object' || untrusted === null) bad(where, `${what} is not an object`);
  const d = untrusted as { mediaType?: unknown; digest?: unknown; size?: unknown };
  if (typeof d.mediaType !== 'string') bad(where, `${what} has no mediaType`);
  if (!isSha256Digest(d.digest)) bad(where, `${what} has no sha256 digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) bad(where, `${what} has no valid size`);
  return { mediaType: d.mediaType, digest: d.digest as string, size: d.size };
}

export function manifestRefs(bytes: Uint8Array, fallbackMediaType: string, where: string): ManifestRefs {
  let untrusted: unknown;
  try {
    untrusted = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    bad(where, 'is not JSON');
  }
  if (typeof untrusted !== 'object' || untrusted === null || Array.isArray(untrusted)) bad(where, 'is not a JSON object');
  const m = untrusted as { schemaVersion?: unknown; mediaType?: unknown; config?: unknown; layers?: unknown; manifests?: unknown };
  if (m.schemaVersion !== 2) bad(where, `has schemaVersion ${JSON.stringify(m.schemaVersion)}, only 2 is supported`);
  const mediaType = typeof m.mediaType === 'string' ? m.mediaType : fallbackMediaType;
  const isIndex = mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST || (m.manifests !== undefined && m.config === undefined);
  if (isIndex) {
    if (!Array.isArray(m.manifests)) bad(where, 'is an index without a manifests list');
    return { kind: 'index', mediaType, manifests: m.manifests.map((d, i) => descriptor(d, where, `manifests[${i}]`)) };
  }
  if (!Array.isArray(m.layers)) bad(where, 'has no layers list');
  return {
    kind: 'image',
    mediaType,
    config: descriptor(m.config, where, 'config'),
    layers: m.layers.map((d, i) => descriptor(d, where, `layers[${i}]`)),
  };
}
