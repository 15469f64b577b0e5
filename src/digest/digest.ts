/**
 * Content digests: `sha256:<64 lowercase hex>` is the only algorithm strata writes or accepts.
 * Pure: no fs, no network.
 */
import { createHash, type Hash } from 'node:crypto';
import { StrataError } from '../errors.js';

/** A validated sha256 digest string, `sha256:` followed by 64 lowercase hex digits. */
export type Digest = string & { readonly __digest: unique symbol };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Parse an untrusted string into a Digest or throw `digest/invalid`. */
export function parseDigest(s: string, where?: string): Digest {
  if (isDigest(s)) return s;
  throw new StrataError('digest/invalid', `invalid digest '${truncate(s)}'${where ? ` in ${where}` : ''}`, {
    hint: "a digest is 'sha256:' followed by 64 lowercase hex digits",
  });
}

/** The 64-hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** Digest from 64 hex digits (as in digests/<stage>.txt). */
export function digestFromHex(hex: string): Digest {
  if (!HEX_RE.test(hex)) {
    throw new StrataError('digest/invalid', `invalid sha256 hex '${truncate(hex)}'`, {
      hint: 'expected 64 lowercase hex digits',
    });
  }
  return `sha256:${hex}` as Digest;
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

/** Incremental hasher that also counts bytes. */
export class DigestCounter {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.count += chunk.length;
  }
  get size(): number {
    return this.count;
  }
  /** Finish; may be called once. */
  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}` as Digest;
  }
}

/** Hash an async stream of chunks, returning digest and size. */
export async function digestStream(chunks: AsyncIterable<Uint8Array>): Promise<{ digest: Digest; size: number }> {
  const h = new DigestCounter();
  for await (const c of chunks) h.update(c);
  return { size: h.size, digest: h.digest() };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
