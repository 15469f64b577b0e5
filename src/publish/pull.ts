/**
 * `strata pull` core. Order matters:
 *   1. parse the reference and load the trust material (MAINTAINERS, keys, threshold);
 *   2. a tag is resolved to a digest (HEAD, else GET of the manifest — an untrusted answer,
 *      only used to know which digest's signatures to read);
 *   3. the signatures for that digest are read and the quorum checked — on failure nothing
 *      else is fetched and the store is not touched;
 *   4. the manifest is fetched by digest (its bytes must hash to the digest) and validated;
 *      config and layers are fetched into the store's temp area, each verified as it
 *      streams; the config is validated against the manifest;
 *   5. only then are the blobs renamed into the store (manifest last) and the image's ref
 *      (`<stage>-<name>`, the last path component) set atomically.
 * Any failure in 4 removes everything staged: the store is unchanged.
 */
import { StrataError } from '../errors.js';
import { isDigest, type Digest } from '../digest/digest.js';
import { MEDIA_TYPE_MANIFEST, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/types.js';
import { assertValidImage, parseImageConfig, parseManifest } from '../oci/validate.js';
import { RegistryClient, parseReference, type CredentialEnvironment, type ImageReference, type RegistryClientOptions } from '../registry/index.js';
import { OciStore } from '../store/store.js';
import { checkDigests } from '../trust/check.js';
import type { LookasideBase } from '../trust/lookaside.js';
import type { QuorumResult } from '../trust/quorum.js';
import { loadKeys, readMaintainersFile, readTrustConfig } from '../trust/tree-trust.js';
import { forEachLimited } from './limited.js';
import { quorumError } from './quorum-failure.js';
import { StagedBlobs } from './staged-blobs.js';

export interface PullOptions {
  /** `REGISTRY/NAMESPACE/IMAGE@sha256:…` or `…:TAG`. */
  readonly reference: string;
  readonly tree: string;
  readonly store: string;
  readonly signatures: LookasideBase;
  readonly threshold?: number;
  readonly keyringFile?: string;
  readonly legacy?: boolean;
  readonly date?: Date;
  readonly env: CredentialEnvironment;
  readonly clientOptions?: RegistryClientOptions;
  /** Blobs fetched at the same time (default 6, as containers/image). */
  readonly parallel?: number;
  readonly onProgress?: (line: string) => void;
}

export interface PullResult {
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  /** The ref name the image has in the store. */
  readonly ref: string;
  readonly digest: string;
  /** The tag that was resolved, if the reference had one and no digest. */
  readonly resolvedTag: string | undefined;
  readonly fetched: readonly string[];
  readonly present: readonly string[];
  readonly bytesFetched: number;
  readonly quorum: QuorumResult;
}

function parsePullReference(text: string): ImageReference & { image: string; namespace: string } {
  const ref = parseReference(text);
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new StrataError('pull/no-tag-or-digest', `'${text}' names neither a tag nor a digest`, {
      hint: 'write REGISTRY/NAMESPACE/IMAGE@sha256:<hex> (or :TAG, which is resolved to a digest and checked)',
    });
  }
  const slash = ref.repository.lastIndexOf('/');
  if (slash < 0) {
    throw new StrataError('pull/no-namespace', `'${text}' has no namespace`, { hint: 'write REGISTRY/NAMESPACE/IMAGE…' });
  }
  return { ...ref, namespace: ref.repository.slice(0, slash), image: ref.repository.slice(slash + 1) };
}

export async function pullVerified(options: PullOptions): Promise<PullResult> {
  const progress = options.onProgress ?? (() => undefined);
  const ref = parsePullReference(options.reference);
  const config = await readTrustConfig(options.tree);
  const threshold = options.threshold ?? config.threshold;
  const maintainers = await readMaintainersFile(options.tree);
  const { keyring, missing } = await loadKeys(options.tree, maintainers, options.keyringFile);
  for (const f of missing) progress(`warning: no public key for ${f.toUpperCase()}: its signatures cannot count`);

  const client = await RegistryClient.withStoredCredentials(ref.registry, ref.repository, options.env, options.clientOptions ?? {});
  try {
    // 2. which digest
    let digest: string;
    if (ref.digest !== undefined) digest = ref.digest;
    else {
      const head = await client.headManifest(ref.repository, ref.tag!);
      if (head === undefined) {
        throw new StrataError('pull/unknown-tag', `${ref.registry}/${ref.repository} has no tag '${ref.tag}'`, {
          location: { file: options.reference },
          hint: 'list the tags with skopeo list-tags, or pull by digest',
          kind: 'check',
        });
      }
      digest = head.digest ?? (await client.getManifest(ref.repository, ref.tag!)).digest;
      progress(`${ref.registry}/${ref.repository}:${ref.tag} is ${digest}`);
    }
    if (!isDigest(digest)) throw new Error(`unreachable: ${digest}`);

    // 3. quorum, before anything else is fetched
    const [quorum] = await checkDigests({
      entries: [{ image: ref.image, digest, location: { file: options.reference } }],
      namespace: ref.namespace,
      threshold,
      maintainers,
      keyring,
      signatures: options.signatures,
      legacy: options.legacy ?? false,
      date: options.date ?? new Date(),
      concurrency: 1,
      threads: 1,
    });
    if (!quorum!.ok) throw quorumError('pull', [quorum!], options.signatures.display, 'nothing was fetched');
    progress(`${ref.image} ${digest.slice(0, 19)}…: signed by ${quorum!.accepted.map((a) => a.name).join(', ')}`);

    // 4. manifest, config, layers — verified, staged
    const where = `${ref.registry}/${ref.repository}@${digest}`;
    const fetchedManifest = await client.getManifest(ref.repository, digest);
    let manifest: ImageManifest;
    try {
      manifest = parseManifest(fetchedManifest.bytes, where);
    } catch (e) {
      throw new StrataError('pull/not-an-image', `${where} is not an OCI image manifest (${fetchedManifest.mediaType || 'no media type'})`, {
        location: { file: options.reference },
        hint: 'strata pulls platform manifests (the digest in digests/*.txt and in the signatures)',
        kind: 'check',
        cause: e,
      });
    }
    if (manifest.mediaType !== MEDIA_TYPE_MANIFEST) {
      throw new StrataError('pull/not-an-image', `${where} is a ${String(manifest.mediaType)}, not an OCI image manifest`, {
        location: { file: options.reference },
        hint: 'strata pulls platform manifests (the digest in digests/*.txt and in the signatures)',
        kind: 'check',
      });
    }
    const store = await OciStore.open(options.store, { create: true });
    const staged = new StagedBlobs(store);
    const fetched: string[] = [];
    const present: string[] = [];
    let bytesFetched = 0;
    let imageConfig: ImageConfig;
    try {
      const configInStore = await store.hasBlob(manifest.config.digest, manifest.config.size);
      const configBytes = configInStore ? await store.readBlob(manifest.config.digest) : await client.fetchBlobBytes(ref.repository, manifest.config);
      imageConfig = parseImageConfig(configBytes, `${where} config`);
      assertValidImage(manifest, imageConfig, where);
      const wanted: Descriptor[] = [];
      const seen = new Set<string>();
      for (const d of manifest.layers) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        if (await store.hasBlob(d.digest, d.size)) present.push(d.digest);
        else wanted.push(d);
      }
      await forEachLimited(wanted, options.parallel ?? 6, async (d) => {
        await client.fetchBlob(ref.repository, d, await staged.sink(d.digest, d.size));
        fetched.push(d.digest);
        bytesFetched += d.size;
      });
      for (const [d, bytes] of [
        [manifest.config.digest, configBytes],
        [digest, fetchedManifest.bytes],
      ] as const) {
        if (await store.hasBlob(d, bytes.length)) present.push(d);
        else {
          await staged.stageBytes(d, bytes);
          fetched.push(d);
          bytesFetched += bytes.length;
        }
      }
      // 5. into the store, then the ref
      await staged.commitAll();
    } catch (e) {
      await staged.discard();
      throw e;
    }
    const c = imageConfig;
    const descriptor: Descriptor = {
      mediaType: MEDIA_TYPE_MANIFEST,
      digest: digest as Digest,
      size: fetchedManifest.bytes.length,
      platform: { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}) },
    };
    await store.setRef(ref.image, descriptor);
    return {
      reference: options.reference,
      registry: ref.registry,
      repository: ref.repository,
      ref: ref.image,
      digest,
      resolvedTag: ref.digest === undefined ? ref.tag : undefined,
      fetched: [...fetched].sort(),
      present: [...present].sort(),
      bytesFetched,
      quorum: quorum!,
    };
  } finally {
    client.close();
  }
}
