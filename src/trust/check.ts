/**
 * `strata check` core: for each selected image digest, read its lookaside signatures,
 * verify each (OpenPGP first, payload only after), and evaluate the quorum.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { StrataError } from '../errors.js';
import { expectedRepositoryPath } from './docker-reference.js';
import os from 'node:os';
import { readSignatures, type FetchedSignature, type LookasideBase } from './lookaside.js';
import type { Maintainers } from './maintainers.js';
import type { Keyring } from './openpgp.js';
import { localVerifier, workerVerifier } from './verify-pool.js';
import { evaluateQuorum, type QuorumResult, type SignatureEvidence } from './quorum.js';
import { loadTrustMaterial, readAllDigests, selectRecordedImages, type TrustFiles } from './tree-trust.js';
import type { DigestEntry } from './digests-file.js';

export interface CheckOptions extends TrustFiles {
  /** The tree root. */
  readonly tree: string;
  /** Image names (`<stage>-<name>`), or 'all'. */
  readonly images: readonly string[] | 'all';
  readonly signatures: LookasideBase;
  /** Overrides strata.toml's threshold. */
  readonly threshold?: number;
  readonly legacy?: boolean;
  /** Key validity is judged at this time; default now. */
  readonly date?: Date;
  /** Parallel signature reads; default 8. */
  readonly concurrency?: number;
  /** Verification threads (see CheckDigestsInput.threads). */
  readonly threads?: number;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly threshold: number;
  readonly namespace: string;
  readonly results: readonly QuorumResult[];
  readonly warnings: readonly string[];
}

export async function checkTree(options: CheckOptions): Promise<CheckReport> {
  const { config, threshold, maintainers, keyring, warnings } = await loadTrustMaterial(options.tree, options, options.threshold);
  if (options.signatures.kind === 'dir' && !(await isDirectory(options.signatures.dir))) {
    const exists = await fs.stat(options.signatures.dir).then(() => true, () => false);
    throw new StrataError('trust/no-signatures-dir', `signatures directory '${options.signatures.display}' ${exists ? 'is not a directory' : 'does not exist'}`, {
      location: { file: options.signatures.display },
      hint: 'pass the lookaside directory maintainers sign into (it holds <namespace>/<image>@sha256=<hex>/signature-N)',
    });
  }
  const all = await readAllDigests(options.tree);
  const selected = selectRecordedImages(all, options.images, 'check');
  const results = await checkDigests({
    entries: selected,
    namespace: config.namespace,
    threshold,
    maintainers,
    keyring,
    signatures: options.signatures,
    legacy: options.legacy ?? false,
    date: options.date ?? new Date(),
    concurrency: options.concurrency ?? 8,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  return { ok: results.every((r) => r.ok), threshold, namespace: config.namespace, results, warnings };
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export interface CheckDigestsInput {
  readonly entries: readonly DigestEntry[];
  readonly namespace: string;
  readonly threshold: number;
  readonly maintainers: Maintainers;
  readonly keyring: Keyring;
  readonly signatures: LookasideBase;
  readonly legacy: boolean;
  readonly date: Date;
  readonly concurrency: number;
  /** Verification worker threads; default 1 (in-process). */
  readonly threads?: number;
}

const VERIFY_IN_FLIGHT_PER_THREAD = 4;

/** Check a list of digests (results in the same order). */
export async function checkDigests(input: CheckDigestsInput): Promise<QuorumResult[]> {
  // 1. fetch every image's signatures (I/O, a few images at a time)
  const fetched: FetchedSignature[][] = new Array(input.entries.length);
  const repositories = input.entries.map((e) => expectedRepositoryPath(input.namespace, e.image));
  await forEachLimited(input.entries.length, input.concurrency, async (i) => {
    fetched[i] = await readSignatures(input.signatures, repositories[i]!, input.entries[i]!.digest);
  });
  // 2. verify them all, on several cores when there are many
  const total = fetched.reduce((n, f) => n + f.length, 0);
  const threads = effectiveThreads(input.threads, total);
  const verifier = threads > 1 ? workerVerifier(input.keyring, input.date, threads) : localVerifier(input.keyring, input.date);
  try {
    // A bounded number in flight: thousands of concurrent openpgp.js verifications cost
    // more CPU (allocation, GC) than a few at a time; workers get enough to stay busy.
    const flat = fetched.flatMap((list, image) => list.map((f, k) => ({ f, image, k })));
    const evidence: SignatureEvidence[][] = fetched.map((list) => new Array<SignatureEvidence>(list.length));
    await forEachLimited(flat.length, threads * VERIFY_IN_FLIGHT_PER_THREAD, async (i) => {
      const { f, image, k } = flat[i]!;
      evidence[image]![k] =
        f.bytes === undefined
          ? { source: f.source, fileSha256: undefined, verification: { ok: false, rejection: f.rejection! } }
          : {
              source: f.source,
              fileSha256: createHash('sha256').update(f.bytes).digest('hex'),
              verification: await verifier.verify(f.bytes),
            };
    });
    // 3. count, purely
    return input.entries.map((entry, i) =>
      evaluateQuorum({
        image: entry.image,
        repositoryPath: repositories[i]!,
        digest: entry.digest,
        threshold: input.threshold,
        maintainers: input.maintainers,
        legacy: input.legacy,
        signatures: evidence[i]!,
      }),
    );
  } finally {
    await verifier.close();
  }
}

/**
 * In-process by default: openpgp.js hands the public-key operations to WebCrypto, which
 * already runs them on libuv's thread pool (both cores), and on the benchmark machine
 * extra workers cost more (each loads openpgp.js and the keyring) than they saved
 * (bench/README.md). `threads` > 1 opts in.
 */
function effectiveThreads(requested: number | undefined, signatures: number): number {
  if (requested === undefined || requested <= 1 || signatures === 0) return 1;
  return Math.min(requested, os.availableParallelism(), 8);
}

async function forEachLimited(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, n)) }, lane));
}
