/**
 * `strata publish` / `strata push` core: for each selected image of the tree, check the
 * quorum (publish) — every image first, before anything is sent — then push the image
 * from the store: blobs first (skipping what the registry has, mounting what another
 * repository of this run already holds), then the platform manifest under the tags
 * `<version>`, `latest` and the extra tags. With a lookaside output directory, the
 * signatures that counted are copied there in lookaside layout.
 */
import { StrataError } from '../errors.js';
import { RegistryClient, parseRepositoryPrefix, type BlobPushOutcome, type CredentialEnvironment, type RegistryClientOptions } from '../registry/index.js';
import { isValidTag } from '../registry/reference.js';
import { OciStore } from '../store/store.js';
import { checkTree } from '../trust/check.js';
import type { DigestEntry } from '../trust/digests-file.js';
import { expectedRepositoryPath } from '../trust/docker-reference.js';
import type { LookasideBase } from '../trust/lookaside.js';
import type { QuorumResult } from '../trust/quorum.js';
import { readAllDigests, readTrustConfig, selectRecordedImages, type TrustFiles } from '../trust/tree-trust.js';
import { readImageVersions, versionOf } from './image-versions.js';
import { forEachLimited } from './limited.js';
import { acceptedSignatureBytes, copySignatures } from './lookaside-copy.js';
import { quorumError } from './quorum-failure.js';
import { readStoredImage, storeBlobSource } from './store-image.js';

/** `maintainersFile`/`keyringFile` (TrustFiles): MAINTAINERS and keys instead of the tree's, as for check. */
export interface QuorumRequirement extends TrustFiles {
  readonly signatures: LookasideBase;
  /** Overrides strata.toml's threshold. */
  readonly threshold?: number;
  readonly date?: Date;
}

export interface PublishOptions {
  readonly tree: string;
  readonly store: string;
  /** Image names (`<stage>-<name>`) or every image of digests/*.txt. */
  readonly images: readonly string[] | 'all';
  /** `REGISTRY/NAMESPACE`. */
  readonly to: string;
  /** Extra tags besides `<version>` and `latest`. */
  readonly tags?: readonly string[];
  /** The quorum each image must reach, or 'skip' (`strata push --no-quorum`). */
  readonly quorum: QuorumRequirement | 'skip';
  /** Write the counted signatures here in lookaside layout (publish only). */
  readonly lookasideOut?: string;
  /** For credentials (auth.json / docker config). */
  readonly env: CredentialEnvironment;
  readonly clientOptions?: RegistryClientOptions;
  /** Blobs uploaded at the same time (default 6, as containers/image). */
  readonly parallel?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ImagePublishReport {
  readonly image: string;
  readonly digest: string;
  readonly version: string;
  /** `REGISTRY/REPOSITORY`. */
  readonly repository: string;
  readonly tags: readonly string[];
  /** Tags that were (re)pointed; the others already named this digest. */
  readonly tagsPut: readonly string[];
  readonly uploaded: readonly string[];
  readonly mounted: readonly string[];
  readonly skipped: readonly string[];
  readonly bytesUploaded: number;
  readonly signaturesWritten: number;
  readonly signaturesPresent: number;
}

export interface PublishReport {
  readonly registry: string;
  readonly namespace: string;
  readonly quorumChecked: boolean;
  readonly threshold: number | undefined;
  readonly images: readonly ImagePublishReport[];
  readonly quorum: readonly QuorumResult[];
}

export async function publishImages(options: PublishOptions): Promise<PublishReport> {
  const command = options.quorum === 'skip' ? 'push' : 'publish';
  const progress = options.onProgress ?? (() => undefined);
  // --- everything that can be wrong with the input, before any I/O that changes anything
  const target = parseRepositoryPrefix(options.to);
  for (const t of options.tags ?? []) {
    if (!isValidTag(t)) {
      throw new StrataError('publish/bad-tag', `--tag '${t}' is not a valid tag`, { hint: 'tags are [A-Za-z0-9_][A-Za-z0-9_.-], at most 128 characters' });
    }
  }
  if (options.lookasideOut !== undefined && options.quorum === 'skip') {
    throw new StrataError('cli/usage', 'push: --lookaside needs the quorum check (use strata publish)', { hint: 'only signatures that counted are published' });
  }
  const config = await readTrustConfig(options.tree);
  if (options.quorum !== 'skip' && expectedRepositoryPath(target.namespace, 'x') !== expectedRepositoryPath(config.namespace, 'x')) {
    throw new StrataError('publish/namespace-mismatch', `--to ${options.to} publishes into namespace '${target.namespace}', but the signatures name '${config.namespace}'`, {
      hint: `publish to REGISTRY/${config.namespace}: podman, skopeo and strata pull match the signed identity's repository path`,
    });
  }
  const entries = selectRecordedImages(await readAllDigests(options.tree), options.images, command);
  const versions = readImageVersions(options.tree);
  const plan = entries.map((e) => {
    const version = versionOf(versions, e.image, options.tree);
    if (!isValidTag(version)) {
      throw new StrataError('publish/bad-version-tag', `the version '${version}' of ${e.image} is not a valid tag`, { hint: 'versions used as tags are [A-Za-z0-9_][A-Za-z0-9_.-]' });
    }
    const tags = [...new Set([version, 'latest', ...(options.tags ?? [])])];
    return { entry: e, version, tags, repository: `${target.namespace}/${e.image}` };
  });

  // --- quorum for every image first: nothing is pushed if any image falls short
  let quorum: QuorumResult[] = [];
  let threshold: number | undefined;
  if (options.quorum !== 'skip') {
    const q = options.quorum;
    // QuorumRequirement is a part of CheckOptions: signatures, threshold, trust files, date.
    const report = await checkTree({ ...q, tree: options.tree, images: entries.map((e) => e.image) });
    for (const w of report.warnings) progress(`warning: ${w}`);
    quorum = [...report.results];
    threshold = report.threshold;
    const failed = quorum.filter((r) => !r.ok);
    if (failed.length) throw quorumError('publish', failed, q.signatures.display, 'nothing was pushed');
  }

  // --- the store must hold every image completely before anything is sent
  const store = await OciStore.open(options.store);
  const stored = [];
  for (const p of plan) stored.push(await readStoredImage(store, p.entry.image, p.entry.digest));

  // --- push
  const blobHome = new Map<string, string>();
  const images: ImagePublishReport[] = [];
  for (const [i, p] of plan.entries()) {
    const img = stored[i]!;
    const client = await RegistryClient.withStoredCredentials(target.registry, p.repository, options.env, options.clientOptions ?? {});
    try {
      const outcome: Record<BlobPushOutcome, string[]> = { uploaded: [], mounted: [], skipped: [] };
      let bytesUploaded = 0;
      await forEachLimited(img.blobs, options.parallel ?? 6, async (d) => {
        const home = blobHome.get(d.digest);
        const result = await client.pushBlob(p.repository, storeBlobSource(store, d), home ? [home] : []);
        outcome[result].push(d.digest);
        if (result === 'uploaded') bytesUploaded += d.size;
      });
      for (const d of img.blobs) if (!blobHome.has(d.digest)) blobHome.set(d.digest, p.repository);
      const tagsPut: string[] = [];
      for (const tag of p.tags) {
        const head = await client.headManifest(p.repository, tag);
        if (head?.digest === img.digest) continue;
        await client.putManifest(p.repository, tag, img.manifestBytes, img.mediaType);
        tagsPut.push(tag);
      }
      let signaturesWritten = 0;
      let signaturesPresent = 0;
      if (options.lookasideOut !== undefined && options.quorum !== 'skip') {
        const result = quorum[i]!;
        const repoPath = expectedRepositoryPath(config.namespace, p.entry.image);
        const bytes = await acceptedSignatureBytes(options.quorum.signatures, repoPath, result);
        const copied = await copySignatures(options.lookasideOut, repoPath, img.digest, bytes);
        signaturesWritten = copied.written;
        signaturesPresent = copied.present;
      }
      const sort = (xs: string[]): string[] => [...xs].sort();
      const report: ImagePublishReport = {
        image: p.entry.image,
        digest: img.digest,
        version: p.version,
        repository: `${target.registry}/${p.repository}`,
        tags: p.tags,
        tagsPut,
        uploaded: sort(outcome.uploaded),
        mounted: sort(outcome.mounted),
        skipped: sort(outcome.skipped),
        bytesUploaded,
        signaturesWritten,
        signaturesPresent,
      };
      images.push(report);
      progress(
        `${report.image} ${report.digest.slice(0, 19)}… → ${report.repository}: ${report.uploaded.length} uploaded, ${report.mounted.length} mounted, ${report.skipped.length} skipped; tags ${p.tags.join(', ')}`,
      );
    } finally {
      client.close();
    }
  }
  return { registry: target.registry, namespace: target.namespace, quorumChecked: options.quorum !== 'skip', threshold, images, quorum };
}
