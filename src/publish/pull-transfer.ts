/**
 * Steps 4–5 of a pull, after the quorum held (see pull.ts): fetch the manifest by digest
 * (its bytes must hash to it), validate it and the config, stage every missing blob in the
 * store's temp area (each verified as it streams), rename them all into the store (manifest
 * last), and set the ref. Any failure before the renames removes everything staged.
 *
 * It takes only plain, cloneable parameters so it can run in a worker thread (pull-worker.ts,
 * ADR 0128) as well as in-process.
 */
import { StrataError } from '../errors.js';
import type { Digest } from '../digest/digest.js';
import { MEDIA_TYPE_MANIFEST, type Descriptor, type ImageConfig, type ImageManifest } from '../oci/types.js';
import { assertValidImage, parseImageConfig, parseManifest } from '../oci/validate.js';
import { RegistryClient } from '../registry/client.js';
import type { RegistryClientOptions } from '../registry/client.js';
import type { CredentialEnvironment } from '../registry/credentials.js';
import { OciStore } from '../store/store.js';
import { forEachLimited } from './limited.js';
import { StagedBlobs } from './staged-blobs.js';

export interface TransferParams {
  /** The reference as the user wrote it, for messages. */
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  /** The ref name the image gets in the store. */
  readonly ref: string;
  /** The digest whose quorum was checked. */
  readonly digest: Digest;
  readonly store: string;
  readonly env: CredentialEnvironment;
  readonly clientOptions: RegistryClientOptions;
  readonly parallel: number;
}

export interface TransferResult {
  readonly fetched: readonly string[];
  readonly present: readonly string[];
  readonly bytesFetched: number;
}

export async function transferVerified(p: TransferParams): Promise<TransferResult> {
  const client = await RegistryClient.withStoredCredentials(p.registry, p.repository, p.env, p.clientOptions);
  try {
    return await transferWith(client, p);
  } finally {
    client.close();
  }
}

async function transferWith(client: RegistryClient, p: TransferParams): Promise<TransferResult> {
  const { digest } = p;
  const where = `${p.registry}/${p.repository}@${digest}`;
  const fetchedManifest = await client.getManifest(p.repository, digest);
  let manifest: ImageManifest;
  try {
    manifest = parseManifest(fetchedManifest.bytes, where);
  } catch (e) {
    throw new StrataError('pull/not-an-image', `${where} is not an OCI image manifest (${fetchedManifest.mediaType || 'no media type'})`, {
      location: { file: p.reference },
      hint: 'strata pulls platform manifests (the digest in digests/*.txt and in the signatures)',
      kind: 'check',
      cause: e,
    });
  }
  if (manifest.mediaType !== MEDIA_TYPE_MANIFEST) {
    throw new StrataError('pull/not-an-image', `${where} is a ${String(manifest.mediaType)}, not an OCI image manifest`, {
      location: { file: p.reference },
      hint: 'strata pulls platform manifests (the digest in digests/*.txt and in the signatures)',
      kind: 'check',
    });
  }
  const store = await OciStore.open(p.store, { create: true });
  const staged = new StagedBlobs(store);
  const fetched: string[] = [];
  const present: string[] = [];
  let bytesFetched = 0;
  let imageConfig: ImageConfig;
  try {
    const configInStore = await store.hasBlob(manifest.config.digest, manifest.config.size);
    const configBytes = configInStore ? await store.readBlob(manifest.config.digest) : await client.fetchBlobBytes(p.repository, manifest.config);
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
    await forEachLimited(wanted, p.parallel, async (d) => {
      await client.fetchBlob(p.repository, d, await staged.sink(d.digest, d.size));
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
    digest,
    size: fetchedManifest.bytes.length,
    platform: { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}) },
  };
  await store.setRef(p.ref, descriptor);
  return { fetched: [...fetched].sort(), present: [...present].sort(), bytesFetched };
}
