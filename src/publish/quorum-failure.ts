/**
 * Turning failed quorum results into one line a user can act on. Pure.
 */
import { StrataError } from '../errors.js';
import type { QuorumResult } from '../trust/quorum.js';

/** `core-a has 1 of 2 maintainer signatures (signature-2: trust/key-expired)`. */
export function quorumShortfall(r: QuorumResult): string {
  const base = `${r.image} has ${r.accepted.length} of ${r.threshold} maintainer signature(s)`;
  if (r.rejected.length === 0) return r.accepted.length === 0 ? `${base} (no signatures found)` : base;
  const reasons = r.rejected.slice(0, 3).map((j) => `${j.source.split('/').pop()}: ${j.code}`);
  return `${base} (rejected ${reasons.join(', ')}${r.rejected.length > 3 ? `, and ${r.rejected.length - 3} more` : ''})`;
}

/** The error for one or more images below the threshold (exit 1). */
export function quorumError(command: string, failed: readonly QuorumResult[], signaturesShown: string, nothingDone: string): StrataError {
  return new StrataError('publish/quorum-not-met', `${command} refused: ${failed.map(quorumShortfall).join('; ')}`, {
    location: { file: signaturesShown },
    hint: `${nothingDone}; 'strata check' lists every signature and why it did not count`,
    kind: 'check',
    detail: { images: failed.map((r) => ({ image: r.image, digest: r.digest, signers: r.accepted.length, threshold: r.threshold, rejected: r.rejected })) },
  });
}
