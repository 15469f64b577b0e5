/**
 * M-of-N quorum evaluation: pure and synchronous over already-verified material.
 *
 * Input: for one image digest, the lookaside signatures in signature-<n> order, each with
 * the sha256 of its bytes and the outcome of OpenPGP verification (openpgp.ts). For each
 * signature, in order:
 *   1. byte-identical to an earlier file          → trust/duplicate-file
 *   2. reading or OpenPGP verification failed     → that rejection
 *   3. signing primary key not in MAINTAINERS     → trust/unknown-key
 *   4. payload parsed strictly (payload.ts)       → trust/payload-… / trust/legacy-payload
 *   5. identity's repository path ≠ <ns>/<image>  → trust/identity-mismatch (host and tag ignored)
 *   6. payload digest ≠ the digest being checked  → trust/digest-mismatch
 *   7. primary fingerprint already counted        → trust/duplicate-key (covers subkey + primary)
 *   8. maintainer entry already counted           → trust/duplicate-maintainer
 * Everything else is accepted and counts once. The image passes iff accepted ≥ threshold.
 * Identities are full primary fingerprints; 64-bit key ids play no part here.
 */
import type { Maintainers } from './maintainers.js';
import { parsePayload } from './payload.js';
import { reject, type Rejection, type RejectionCode } from './reasons.js';

export type SignatureVerification =
  | {
      readonly ok: true;
      readonly primaryFingerprint: string;
      readonly signingKeyFingerprint: string;
      readonly literalData: Uint8Array;
    }
  | { readonly ok: false; readonly rejection: Rejection };

export interface SignatureEvidence {
  /** Where the file came from, as shown to the user. */
  readonly source: string;
  /** sha256 hex of the file's bytes; undefined when the bytes could not be read. */
  readonly fileSha256: string | undefined;
  readonly verification: SignatureVerification;
}

export interface QuorumInput {
  /** `<stage>-<name>`. */
  readonly image: string;
  /** The repository path the payload must name: normalised `<ns>/<image>`. */
  readonly repositoryPath: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  readonly threshold: number;
  readonly maintainers: Maintainers;
  /** Accept the legacy StageX payload. */
  readonly legacy: boolean;
  readonly signatures: readonly SignatureEvidence[];
}

export interface AcceptedSignature {
  readonly source: string;
  readonly handle: string;
  /** The maintainer's name from MAINTAINERS, else the handle. */
  readonly name: string;
  readonly keyLabel: string;
  readonly primaryFingerprint: string;
  readonly signingKeyFingerprint: string;
  readonly legacy: boolean;
  readonly untrustedDockerReference: string;
}

export interface RejectedSignature {
  readonly source: string;
  readonly code: RejectionCode;
  readonly message: string;
  /** The verified signer, when verification got that far. */
  readonly primaryFingerprint: string | undefined;
}

export interface QuorumResult {
  readonly image: string;
  readonly digest: string;
  readonly threshold: number;
  readonly ok: boolean;
  readonly accepted: readonly AcceptedSignature[];
  readonly rejected: readonly RejectedSignature[];
}

export function evaluateQuorum(input: QuorumInput): QuorumResult {
  if (!Number.isInteger(input.threshold) || input.threshold < 1) {
    throw new Error(`evaluateQuorum: threshold must be an integer ≥ 1, got ${input.threshold}`);
  }
  const keyByFingerprint = new Map(input.maintainers.keys.map((k) => [k.fingerprint, k]));
  const personByHandle = new Map(input.maintainers.people.map((p) => [p.handle, p]));
  const seenFiles = new Map<string, string>();
  const countedKeys = new Map<string, string>();
  const countedMaintainers = new Map<string, string>();
  const accepted: AcceptedSignature[] = [];
  const rejected: RejectedSignature[] = [];

  for (const sig of input.signatures) {
    const no = (r: Rejection, primaryFingerprint?: string): void => {
      rejected.push({ source: sig.source, code: r.code, message: r.message, primaryFingerprint });
    };
    if (sig.fileSha256 !== undefined) {
      const first = seenFiles.get(sig.fileSha256);
      if (first !== undefined) {
        no(reject('trust/duplicate-file', `byte-identical to ${first}`));
        continue;
      }
      seenFiles.set(sig.fileSha256, sig.source);
    }
    const v = sig.verification;
    if (!v.ok) {
      no(v.rejection);
      continue;
    }
    const fpr = v.primaryFingerprint.toLowerCase();
    const key = keyByFingerprint.get(fpr);
    if (!key) {
      no(reject('trust/unknown-key', `signed by ${fpr.toUpperCase()}, which MAINTAINERS does not list`), fpr);
      continue;
    }
    const parsed = parsePayload(v.literalData, { legacy: input.legacy });
    if (!parsed.ok) {
      no(parsed.rejection, fpr);
      continue;
    }
    const p = parsed.payload;
    if (p.untrustedReference.path !== input.repositoryPath) {
      no(
        reject(
          'trust/identity-mismatch',
          `signature names '${p.untrustedDockerReference}' (repository ${p.untrustedReference.path}), expected repository ${input.repositoryPath}`,
        ),
        fpr,
      );
      continue;
    }
    if (p.untrustedDigest !== input.digest) {
      no(reject('trust/digest-mismatch', `signature is for ${p.untrustedDigest}, not ${input.digest}`), fpr);
      continue;
    }
    const sameKey = countedKeys.get(fpr);
    if (sameKey !== undefined) {
      no(reject('trust/duplicate-key', `key ${fpr.toUpperCase()} already counted (${sameKey})`), fpr);
      continue;
    }
    const sameMaintainer = countedMaintainers.get(key.handle);
    if (sameMaintainer !== undefined) {
      no(reject('trust/duplicate-maintainer', `maintainer '${key.handle}' already counted (${sameMaintainer})`), fpr);
      continue;
    }
    countedKeys.set(fpr, sig.source);
    countedMaintainers.set(key.handle, sig.source);
    accepted.push({
      source: sig.source,
      handle: key.handle,
      name: personByHandle.get(key.handle)?.name ?? key.handle,
      keyLabel: key.label,
      primaryFingerprint: fpr,
      signingKeyFingerprint: v.signingKeyFingerprint.toLowerCase(),
      legacy: p.legacy,
      untrustedDockerReference: p.untrustedDockerReference,
    });
  }
  return {
    image: input.image,
    digest: input.digest,
    threshold: input.threshold,
    ok: accepted.length >= input.threshold,
    accepted,
    rejected,
  };
}
