/**
 * Whole images over the client: push (blobs first, skipping what the registry has,
 * mounting from sibling repositories, then the manifest under each tag unless the tag
 * already points at it) and pull (manifest by digest or tag, verified; then every
 * referenced manifest and blob, verified, into the caller's target).
 */
import { registryError } from './errors.js';
import { sha256Of } from './content-digest.js';
import { RegistryClient, type BlobSource, type BlobSink, type BlobPushOutcome } from './client.js';
import { manifestRefs, type BlobDescriptor } from './manifest-refs.js';
import { isValidTag } from './reference.js';

export interface ManifestToPush {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

export interface ImageToPush {
  /** Every blob the manifest (and any child manifest) references. */
  readonly blobs: readonly BlobSource[];
  /** Child manifests of an index, pushed by digest before the root. */
  readonly children?: readonly ManifestToPush[];
  readonly manifest: ManifestToPush;
}

export interface PushOptions {
  /** Tags to point at the manifest; with none, it is pushed by digest only. */
  readonly tags?: readonly string[];
  /** Repositories on the same registry to mount blobs from. */
  readonly mountFrom?: readonly string[];
  readonly onBlob?: (digest: string, outcome: BlobPushOutcome) => void;
}

export interface PushReport {
  readonly digest: string;
  readonly uploaded: readonly string[];
  readonly mounted: readonly string[];
  readonly skipped: readonly string[];
  /** Tags (or the digest) whose manifest PUT was needed; empty when everything was there. */
  readonly manifestsPut: readonly string[];
}

export async function pushImage(client: RegistryClient, repository: string, image: ImageToPush, options: PushOptions = {}): Promise<PushReport> {
  const tags = options.tags ?? [];
  for (const t of tags) {
    if (!isValidTag(t)) throw registryError('bad-tag', `'${t}' is not a valid tag`, { kind: 'input', hint: 'tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}' });
  }
  const uploaded: string[] = [];
  const mounted: string[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const blob of image.blobs) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    const outcome = await client.pushBlob(repository, blob, options.mountFrom ?? []);
    (outcome === 'uploaded' ? uploaded : outcome === 'mounted' ? mounted : skipped).push(blob.digest);
    options.onBlob?.(blob.digest, outcome);
  }
  const manifestsPut: string[] = [];
  for (const child of image.children ?? []) {
    const d = sha256Of(child.bytes);
    const head = await client.headManifest(repository, d);
    if (head) continue;
    await client.putManifest(repository, d, child.bytes, child.mediaType);
    manifestsPut.push(d);
  }
  const digest = sha256Of(image.manifest.bytes);
  for (const ref of tags.length ? tags : [digest]) {
    const head = await client.headManifest(repository, ref);
    if (head?.digest === digest) continue;
    await client.putManifest(repository, ref, image.manifest.bytes, image.manifest.mediaType);
    manifestsPut.push(ref);
  }
  return { digest, uploaded, mounted, skipped, manifestsPut };
}

/** Where a pull puts what it verified (e.g. the store). */
export interface PullTarget {
  /** True if the target already has this blob (it is then not fetched). */
  hasBlob(digest: string): Promise<boolean>;
  /** A sink for one blob or manifest; committed only once it verified. */
  openBlob(descriptor: BlobDescriptor): Promise<BlobSink>;
}

export interface PullReport {
  /** The root manifest: its digest, media type and size (for an index entry). */
  readonly root: BlobDescriptor;
  readonly fetched: readonly string[];
  readonly present: readonly string[];
}

/**
 * Pull `reference` (tag or digest) and everything it references into `target`: manifests
 * first (verified, in memory, capped), then blobs (verified as they stream). The root
 * manifest is written last, so a target that treats the root as "the image is here"
 * never sees an incomplete image.
 */
export async function pullImage(client: RegistryClient, repository: string, reference: string, target: PullTarget): Promise<PullReport> {
  const root = await client.getManifest(repository, reference);
  const where = `${client.registry}/${repository}@${root.digest}`;
  const manifests: { desc: BlobDescriptor; bytes: Buffer }[] = [];
  const blobs = new Map<string, BlobDescriptor>();
  const rootRefs = manifestRefs(root.bytes, root.mediaType, where);
  const rootDesc: BlobDescriptor = { mediaType: rootRefs.mediaType, digest: root.digest, size: root.bytes.length };
  const images = rootRefs.kind === 'index' ? [] : [rootRefs];
  if (rootRefs.kind === 'index') {
    for (const child of rootRefs.manifests) {
      const m = await client.getManifest(repository, child.digest);
      if (m.bytes.length !== child.size) {
        throw registryError('size-exceeded', `manifest ${child.digest} has ${m.bytes.length} bytes, the index says ${child.size}`, { where, kind: 'check', hint: 'the index and the manifest disagree; the image is corrupt' });
      }
      const refs = manifestRefs(m.bytes, child.mediaType, `${client.registry}/${repository}@${child.digest}`);
      if (refs.kind === 'index') throw registryError('bad-manifest', 'nested indexes are not supported', { where, kind: 'check', hint: 'pull the inner index by its digest' });
      manifests.push({ desc: child, bytes: m.bytes });
      images.push(refs);
    }
  }
  for (const img of images) for (const d of [img.config, ...img.layers]) blobs.set(d.digest, d);
  const fetched: string[] = [];
  const present: string[] = [];
  for (const d of blobs.values()) {
    if (await target.hasBlob(d.digest)) {
      present.push(d.digest);
      continue;
    }
    await client.fetchBlob(repository, d, await target.openBlob(d));
    fetched.push(d.digest);
  }
  for (const { desc, bytes } of [...manifests, { desc: rootDesc, bytes: root.bytes }]) {
    if (await target.hasBlob(desc.digest)) {
      present.push(desc.digest);
      continue;
    }
    const sink = await target.openBlob(desc);
    try {
      await sink.write(bytes);
    } catch (e) {
      await sink.abort?.(e);
      throw e;
    }
    await sink.commit?.();
    fetched.push(desc.digest);
  }
  return { root: rootDesc, fetched, present };
}
