/**
 * Digests as the distribution client sees them: `sha256:<64 lowercase hex>` only (strata
 * writes and accepts nothing else). The hashing itself is src/digest's; this file adds the
 * registry's own error for a malformed digest.
 */
import { isDigest, sha256Digest } from '../digest/digest.js';
import { registryError } from './errors.js';

export function isSha256Digest(s: unknown): boolean {
  return isDigest(s);
}

export function sha256Of(data: Uint8Array): string {
  return sha256Digest(data);
}

/** Throw `registry/bad-digest` (input) unless `s` is a sha256 digest. */
export function requireDigest(s: string, where: string): string {
  if (isSha256Digest(s)) return s;
  throw registryError('bad-digest', `'${s.length > 80 ? `${s.slice(0, 77)}...` : s}' is not a sha256 digest`, {
    where,
    kind: 'input',
    hint: "a digest is 'sha256:' followed by 64 lowercase hex digits",
  });
}
