/**
 * Digests as the distribution client sees them: `sha256:<64 lowercase hex>` only (strata
 * writes and accepts nothing else), plus an incremental verifier used while bytes stream.
 */
import { createHash, type Hash } from 'node:crypto';
import { registryError } from './errors.js';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function isSha256Digest(s: unknown): boolean {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

export function sha256Of(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Hashes and counts bytes; `finish()` may be called once. */
export class StreamingDigest {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.count += chunk.length;
  }
  get size(): number {
    return this.count;
  }
  finish(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
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
