/**
 * The store side of a push: find an image in the local store by its platform manifest
 * digest (the digest that is signed and listed in digests/*.txt), check that everything it
 * references is present, and offer its blobs as upload sources. Blobs are read from the
 * store's files and re-hashed by the registry client while they are sent, so a damaged
 * store copy never completes an upload.
 */
import type { Digest } from '../digest/digest.js';
import { isDigest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { MEDIA_TYPE_MANIFEST, type Descriptor, type ImageManifest } from '../oci/types.js';
import { parseManifest } from '../oci/validate.js';
import { fileBlobSource, type BlobSource } from '../registry/index.js';
import type { OciStore } from '../store/store.js';

export interface StoredImage {
  /** `<stage>-<name>`, for messages. */
  readonly image: string;
  readonly digest: Digest;
  /** The exact manifest bytes (they hash to `digest`). */
  readonly manifestBytes: Uint8Array;
  readonly mediaType: string;
  readonly manifest: ImageManifest;
  /** Config first, then layers; duplicates removed. */
  readonly blobs: readonly Descriptor[];
}

/** Read an image's manifest from the store (verified) and check its blobs are all there. */
export async function readStoredImage(store: OciStore, image: string, digest: string): Promise<StoredImage> {
  if (!isDigest(digest)) {
    throw new StrataError('publish/bad-digest', `'${digest}' is not a sha256 digest`, { hint: 'digests/*.txt lines are <64 hex> <image>' });
  }
  const notInStore = (what: string): StrataError =>
    new StrataError('publish/not-in-store', `${image}: ${what} of ${digest} is not in the store`, {
      location: { file: store.root },
      hint: `build the image (strata build ${image}) or pull it into this store, or pass --store DIR`,
      kind: 'check',
    });
  if (!(await store.hasBlob(digest))) throw notInStore('the manifest');
  const manifestBytes = await store.readBlob(digest);
  const manifest = parseManifest(manifestBytes, store.blobPath(digest));
  if (manifest.mediaType !== MEDIA_TYPE_MANIFEST) {
    throw new StrataError('publish/not-an-image', `${image}: ${digest} is a ${String(manifest.mediaType)}, not an image manifest`, {
      location: { file: store.blobPath(digest) },
      hint: 'digests/*.txt must name platform manifests',
      kind: 'check',
    });
  }
  const blobs: Descriptor[] = [];
  const seen = new Set<string>();
  for (const d of [manifest.config, ...manifest.layers]) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    if (!(await store.hasBlob(d.digest, d.size))) throw notInStore(`blob ${d.digest} (${d.size} bytes)`);
    blobs.push(d);
  }
  return { image, digest, manifestBytes, mediaType: MEDIA_TYPE_MANIFEST, manifest, blobs };
}

/** An upload source reading a store blob (re-hashed while it is sent). */
export function storeBlobSource(store: OciStore, d: Descriptor): BlobSource {
  return fileBlobSource(store.blobPath(d.digest), d.digest, d.size);
}
