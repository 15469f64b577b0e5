/**
 * Why a signature was not counted, or why an image failed its quorum. Every rejection
 * carries one of these codes (stable: scripts and tests match on them) and a sentence.
 */
export type RejectionCode =
  // reading the file
  | 'trust/signature-missing'
  | 'trust/signature-too-large'
  | 'trust/signature-unreadable'
  // OpenPGP
  | 'trust/malformed-signature'
  | 'trust/not-signed-message'
  | 'trust/decompression-limit'
  | 'trust/unknown-key'
  | 'trust/key-revoked'
  | 'trust/key-expired'
  | 'trust/key-not-signing'
  | 'trust/bad-signature'
  // payload
  | 'trust/payload-malformed'
  | 'trust/payload-duplicate-member'
  | 'trust/payload-unknown-member'
  | 'trust/payload-bad-type'
  | 'trust/payload-bad-digest'
  | 'trust/legacy-payload'
  | 'trust/identity-invalid'
  | 'trust/identity-mismatch'
  | 'trust/digest-mismatch'
  // counting
  | 'trust/duplicate-file'
  | 'trust/duplicate-key'
  | 'trust/duplicate-maintainer';

export type ImageFailureCode = 'trust/quorum-not-met';

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
}

export function reject(code: RejectionCode, message: string): Rejection {
  return { code, message };
}
