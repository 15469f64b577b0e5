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
 * Any failure in 4 removes everything staged: the store is unchanged. Steps 4–5 live in
 * pull-transfer.ts and run in a worker thread by default (transfer-runner.ts, ADR 0128).
 */
import { StrataError } from '../errors.js';
import { isDigest, type Digest } from '../digest/digest.js';
import { RegistryClient, parseReference, type CredentialEnvironment, type ImageReference, type RegistryClientOptions } from '../registry/index.js';
import { checkDigests } from '../trust/check.js';
import type { LookasideBase } from '../trust/lookaside.js';
import type { QuorumResult } from '../trust/quorum.js';
import { loadTrustMaterial, type TrustFiles } from '../trust/tree-trust.js';
import { quorumError } from './quorum-failure.js';
import { runTransfer } from './transfer-runner.js';

/** `maintainersFile`/`keyringFile` (TrustFiles): MAINTAINERS and keys instead of the tree's, as for check. */
export interface PullOptions extends TrustFiles {
  /** `REGISTRY/NAMESPACE/IMAGE@sha256:…` or `…:TAG`. */
  readonly reference: string;
  readonly tree: string;
  readonly store: string;
  readonly signatures: LookasideBase;
  readonly threshold?: number;
  readonly legacy?: boolean;
  readonly date?: Date;
  readonly env: CredentialEnvironment;
  readonly clientOptions?: RegistryClientOptions;
  /** Blobs fetched at the same time (default 6, as containers/image). */
  readonly parallel?: number;
  /**
   * Run the transfer in a worker thread (default true; ADR 0128). Ignored (in-process) when
   * `clientOptions` holds credentials or callbacks, which cannot cross to a worker.
   */
  readonly transferInWorker?: boolean;
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
  const { threshold, maintainers, keyring, warnings } = await loadTrustMaterial(options.tree, options, options.threshold);
  for (const w of warnings) progress(`warning: ${w}`);

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

    // 4–5. manifest, config, layers — verified, staged, committed, ref set (ADR 0128)
    const credentialEnv: CredentialEnvironment = {
      REGISTRY_AUTH_FILE: options.env.REGISTRY_AUTH_FILE,
      XDG_RUNTIME_DIR: options.env.XDG_RUNTIME_DIR,
      DOCKER_CONFIG: options.env.DOCKER_CONFIG,
      HOME: options.env.HOME,
    };
    const { fetched, present, bytesFetched } = await runTransfer(
      {
        reference: options.reference,
        registry: ref.registry,
        repository: ref.repository,
        ref: ref.image,
        digest: digest as Digest,
        store: options.store,
        env: credentialEnv,
        clientOptions: options.clientOptions ?? {},
        parallel: options.parallel ?? 6,
      },
      options.transferInWorker ?? true,
    );
    return {
      reference: options.reference,
      registry: ref.registry,
      repository: ref.repository,
      ref: ref.image,
      digest,
      resolvedTag: ref.digest === undefined ? ref.tag : undefined,
      fetched,
      present,
      bytesFetched,
      quorum: quorum!,
    };
  } finally {
    client.close();
  }
}
