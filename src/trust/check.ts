/**
 * `strata check` core: for each selected image digest, read its lookaside signatures,
 * verify each (OpenPGP first, payload only after), and evaluate the quorum.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../errors.js';
import { expectedRepositoryPath } from './docker-reference.js';
import { readSignatures, type LookasideBase } from './lookaside.js';
import type { Maintainers } from './maintainers.js';
import { verifySignedMessage, type Keyring } from './openpgp.js';
import { evaluateQuorum, type QuorumResult, type SignatureEvidence } from './quorum.js';
import { loadKeys, readAllDigests, readMaintainersFile, readTrustConfig } from './tree-trust.js';
import type { DigestEntry } from './digests-file.js';

export interface CheckOptions {
  /** The tree root. */
  readonly tree: string;
  /** Image names (`<stage>-<name>`), or 'all'. */
  readonly images: readonly string[] | 'all';
  readonly signatures: LookasideBase;
  /** Overrides strata.toml's threshold. */
  readonly threshold?: number;
  readonly legacy?: boolean;
  /** One keyring file instead of <tree>/keys/*.asc. */
  readonly keyringFile?: string;
  /** Key validity is judged at this time; default now. */
  readonly date?: Date;
  /** Parallel image checks; default 8. */
  readonly concurrency?: number;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly threshold: number;
  readonly namespace: string;
  readonly results: readonly QuorumResult[];
  readonly warnings: readonly string[];
}

export async function checkTree(options: CheckOptions): Promise<CheckReport> {
  const config = await readTrustConfig(options.tree);
  const threshold = options.threshold ?? config.threshold;
  const maintainers = await readMaintainersFile(options.tree);
  const { keyring, missing } = await loadKeys(options.tree, maintainers, options.keyringFile);
  const warnings = missing.map((f) => {
    const k = maintainers.keys.find((x) => x.fingerprint === f)!;
    return `no public key for [keys.${k.handle}.${k.label}] ${f.toUpperCase()}: its signatures cannot count`;
  });
  const all = await readAllDigests(options.tree);
  const selected = selectImages(all, options.images);
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
  });
  return { ok: results.every((r) => r.ok), threshold, namespace: config.namespace, results, warnings };
}

function selectImages(all: readonly DigestEntry[], images: readonly string[] | 'all'): DigestEntry[] {
  if (images === 'all') return [...all];
  if (images.length === 0) {
    throw new StrataError('cli/usage', 'check: name the images to check, or pass --all', {
      hint: "run 'strata check --help'",
    });
  }
  const byName = new Map(all.map((e) => [e.image, e]));
  const out: DigestEntry[] = [];
  for (const name of images) {
    const e = byName.get(name);
    if (!e) {
      throw new StrataError('trust/unknown-image', `no digest recorded for image '${name}'`, {
        hint: 'image names are <stage>-<name> as listed in digests/<stage>.txt',
      });
    }
    if (!out.includes(e)) out.push(e);
  }
  return out;
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
}

/** Check a list of digests (results in the same order). */
export async function checkDigests(input: CheckDigestsInput): Promise<QuorumResult[]> {
  const results: QuorumResult[] = new Array(input.entries.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= input.entries.length) return;
      results[i] = await checkOne(input, input.entries[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, input.entries.length)) }, worker));
  return results;
}

async function checkOne(input: CheckDigestsInput, entry: DigestEntry): Promise<QuorumResult> {
  const repositoryPath = expectedRepositoryPath(input.namespace, entry.image);
  const fetched = await readSignatures(input.signatures, repositoryPath, entry.digest);
  const evidence: SignatureEvidence[] = [];
  for (const f of fetched) {
    if (f.bytes === undefined) {
      evidence.push({ source: f.source, fileSha256: undefined, verification: { ok: false, rejection: f.rejection! } });
      continue;
    }
    const verification = await verifySignedMessage(f.bytes, input.keyring, input.date);
    evidence.push({ source: f.source, fileSha256: createHash('sha256').update(f.bytes).digest('hex'), verification });
  }
  return evaluateQuorum({
    image: entry.image,
    repositoryPath,
    digest: entry.digest,
    threshold: input.threshold,
    maintainers: input.maintainers,
    legacy: input.legacy,
    signatures: evidence,
  });
}
