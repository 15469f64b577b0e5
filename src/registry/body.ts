/**
 * Reading response bodies safely: every read is capped, every blob is hashed and counted
 * as it streams and never read past its expected size. Stream failures become
 * StrataErrors (`registry/truncated-body`, …) instead of raw socket errors.
 */
import type { IncomingMessage } from 'node:http';
import { isStrataError } from '../errors.js';
import { registryError } from './errors.js';
import { DigestCounter } from '../digest/digest.js';

export function contentLength(res: IncomingMessage): number | undefined {
  const v = res.headers['content-length'];
  if (v === undefined || !/^[0-9]+$/.test(v)) return undefined;
  return Number(v);
}

/** Map a failure while reading a body to a StrataError. */
export function bodyError(e: unknown, where: string, what: string): Error {
  if (isStrataError(e)) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return registryError('truncated-body', `${what}: the connection ended before the whole body arrived (${code ?? String(e)})`, {
    where,
    hint: 'the registry or a proxy cut the transfer; try again',
    cause: e,
  });
}

/**
 * Read the whole body into memory, refusing more than `max` bytes (checked against
 * Content-Length first, then while reading). `tooLarge` builds the error.
 */
export async function readCapped(res: IncomingMessage, max: number, where: string, what: string, tooLarge: (n: number | undefined) => Error): Promise<Buffer> {
  const declared = contentLength(res);
  if (declared !== undefined && declared > max) {
    res.destroy();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) {
        res.destroy();
        throw tooLarge(undefined);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw bodyError(e, where, what);
  }
  if (declared !== undefined && total !== declared) {
    throw registryError('truncated-body', `${what}: received ${total} of ${declared} bytes`, { where, hint: 'the registry or a proxy cut the transfer; try again' });
  }
  return Buffer.concat(chunks, total);
}

/** Read and discard at most `max` bytes (e.g. an error body we only need the start of), then close. */
export async function readPrefix(res: IncomingMessage, max = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= max) break;
    }
  } catch {
    // an error body that fails to arrive is still an error response
  } finally {
    if (!res.complete) res.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max);
}

export interface ExpectedContent {
  readonly digest: string;
  readonly size: number;
}

/** The digest and size of exactly the bytes a hashing sink was given. */
export interface SinkHash {
  readonly digest: string;
  readonly size: number;
}

/**
 * Yield the body's chunks while hashing them; throws `registry/size-exceeded` as soon as
 * more than `expected.size` bytes arrive, and — after the last chunk, before returning —
 * `registry/truncated-body` or `registry/digest-mismatch`. A consumer must treat what it
 * received as unverified until the iteration has completed without throwing.
 *
 * With `hashedBy`, the consumer hashes every chunk it is given (e.g. the store's blob
 * writer) and this function does not hash them again: it still counts and caps the bytes,
 * and after the last chunk compares `hashedBy()` — which must cover exactly the yielded
 * chunks — with the expected size and digest (ADR 0124).
 */
export async function* verifiedChunks(
  res: IncomingMessage,
  expected: ExpectedContent,
  where: string,
  what: string,
  hashedBy?: () => Promise<SinkHash>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = contentLength(res);
  if (declared !== undefined && declared !== expected.size) {
    res.destroy();
    throw registryError(declared > expected.size ? 'size-exceeded' : 'truncated-body', `${what}: the registry announces ${declared} bytes, the descriptor says ${expected.size}`, {
      where,
      kind: 'check',
      hint: 'the registry serves different content than the manifest names; do not use this registry for this image',
    });
  }
  const hasher = hashedBy === undefined ? new DigestCounter() : undefined;
  let received = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (received + chunk.length > expected.size) {
        res.destroy();
        throw registryError('size-exceeded', `${what}: more than the expected ${expected.size} bytes arrived`, {
          where,
          kind: 'check',
          hint: 'the registry serves different content than the manifest names; do not use this registry for this image',
        });
      }
      received += chunk.length;
      hasher?.update(chunk);
      yield chunk;
    }
  } catch (e) {
    res.destroy();
    throw bodyError(e, where, what);
  } finally {
    // the consumer stopped early (break or its own failure): do not leave the socket open
    if (!res.complete) res.destroy();
  }
  if (received < expected.size) {
    throw registryError('truncated-body', `${what}: received ${received} of ${expected.size} bytes`, {
      where,
      hint: 'the registry or a proxy cut the transfer; try again',
    });
  }
  let actual: string;
  if (hasher !== undefined) actual = hasher.digest();
  else {
    const sunk = await hashedBy!();
    if (sunk.size !== received) {
      throw registryError('sink-mismatch', `${what}: the sink hashed ${sunk.size} bytes, ${received} were received`, {
        where,
        kind: 'check',
        hint: 'a bug in the consumer of the download; nothing was kept — report it',
      });
    }
    actual = sunk.digest;
  }
  if (actual !== expected.digest) {
    throw registryError('digest-mismatch', `${what}: the bytes received hash to ${actual}, expected ${expected.digest}`, {
      where,
      kind: 'check',
      hint: 'the registry (or something between) served tampered or corrupt content; nothing was kept',
      detail: { expected: expected.digest, actual },
    });
  }
}
