/**
 * The OCI distribution client: ping, blobs (HEAD, verified GET, monolithic and chunked
 * upload, cross-repository mount), manifests (verified GET, HEAD, PUT) and tag listing.
 * Every byte read from a registry is checked as it streams (digest, size, caps) and only
 * reported as good once all of it has been checked.
 */
import { registryError, displayUrl, printable } from './errors.js';
import { RegistryTransport, type TransportOptions, type BodySource } from './transport.js';
import { readCapped, readPrefix, verifiedChunks, contentLength, type ExpectedContent, type SinkHash } from './body.js';
import { DigestCounter } from '../digest/digest.js';
import { isSha256Digest, requireDigest, sha256Of } from './content-digest.js';
import { requireRepository, requireTagOrDigest } from './reference.js';
import { loadCredentials, type CredentialEnvironment } from './credentials.js';

export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST];

/** Manifests larger than this are refused (the distribution registry's own limit is 4 MiB). */
export const DEFAULT_MANIFEST_CAP = 4 * 1024 * 1024;

export interface RegistryClientOptions extends TransportOptions {
  /** Refuse manifests larger than this (default 4 MiB). */
  readonly manifestCap?: number;
  /** Upload blobs larger than this in PATCH chunks of this size (default: monolithic). */
  readonly chunkSize?: number;
}

/** A blob to upload: its digest and size, and a way to read its bytes (again, for retries). */
export interface BlobSource extends BodySource {
  readonly digest: string;
}

/** Where verified bytes go. Nothing written may be used unless `commit` is called. */
export interface BlobSink {
  write(chunk: Uint8Array): Promise<void> | void;
  /** All bytes arrived and matched digest and size. */
  commit?(): Promise<void> | void;
  /** The transfer failed or did not verify: discard everything written. */
  abort?(reason: unknown): Promise<void> | void;
  /**
   * Optional, for sinks that hash what they are given anyway (the store's blob writer):
   * called once after the last `write`, it ends the writing and returns the sha256 digest
   * and size of exactly the bytes written. The client then does not hash the body itself;
   * it still counts and caps the bytes and compares this digest with the expected one
   * before `commit` (ADR 0124).
   */
  finish?(): Promise<SinkHash>;
}

export interface FetchedManifest {
  /** The exact bytes; their sha256 is `digest`. */
  readonly bytes: Buffer;
  readonly digest: string;
  /** The Content-Type the registry gave (what the manifest was pushed as). */
  readonly mediaType: string;
}

export interface ManifestHead {
  readonly digest: string | undefined;
  readonly mediaType: string | undefined;
  readonly size: number | undefined;
}

export type BlobPushOutcome = 'skipped' | 'mounted' | 'uploaded';

export class RegistryClient {
  readonly registry: string;
  readonly transport: RegistryTransport;
  private readonly manifestCap: number;
  private readonly chunkSize: number | undefined;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.transport = new RegistryTransport(registry, options);
    this.manifestCap = options.manifestCap ?? DEFAULT_MANIFEST_CAP;
    this.chunkSize = options.chunkSize;
    if (this.chunkSize !== undefined && (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 1)) {
      throw registryError('bad-option', `chunk size ${this.chunkSize} is not a positive integer`, { kind: 'input', hint: 'give a size in bytes, e.g. 8388608' });
    }
  }

  /** A client with credentials from the auth files (podman/skopeo/docker) for `repository`. */
  static async withStoredCredentials(registry: string, repository: string, env: CredentialEnvironment, options: RegistryClientOptions = {}): Promise<RegistryClient> {
    const credentials = options.credentials ?? (await loadCredentials(registry, repository, env));
    return new RegistryClient(registry, { ...options, credentials });
  }

  close(): void {
    this.transport.close();
  }

  private where(repository: string, suffix = ''): string {
    return `${this.registry}/${repository}${suffix}`;
  }

  /** `GET /v2/`: the registry speaks the distribution API and (after auth) lets us in. */
  async ping(): Promise<void> {
    const res = await this.transport.send({ method: 'GET', url: this.transport.url('/v2/'), scopes: [], ok: [200], what: `ping ${this.registry}` });
    await readPrefix(res.body);
  }

  /** HEAD a blob: its size if the repository has it, undefined if not. */
  async blobExists(repository: string, digest: string): Promise<{ size: number | undefined } | undefined> {
    requireRepository(repository);
    requireDigest(digest, this.where(repository));
    const res = await this.transport.send({
      method: 'HEAD',
      url: this.transport.url(`/v2/${repository}/blobs/${digest}`),
      scopes: [pullScope(repository)],
      ok: [200, 404],
      followRedirects: true,
      what: `HEAD blob ${digest}`,
    });
    res.body.resume();
    return res.status === 200 ? { size: contentLength(res.body) } : undefined;
  }

  /**
   * Stream a blob's bytes. Each chunk is counted and hashed as it arrives; the iteration
   * throws (`registry/size-exceeded`, `truncated-body`, `digest-mismatch`) before it ends
   * if the bytes are not exactly `expected`. Until it has ended normally, treat every
   * chunk as unverified.
   */
  async *blobChunks(repository: string, expected: ExpectedContent, hashedBy?: () => Promise<SinkHash>): AsyncGenerator<Uint8Array, void, undefined> {
    requireRepository(repository);
    requireDigest(expected.digest, this.where(repository));
    const res = await this.transport.send({
      method: 'GET',
      url: this.transport.url(`/v2/${repository}/blobs/${expected.digest}`),
      scopes: [pullScope(repository)],
      ok: [200],
      followRedirects: true,
      what: `GET blob ${expected.digest}`,
    });
    yield* verifiedChunks(res.body, expected, displayUrl(res.url), `blob ${expected.digest} of ${this.where(repository)}`, hashedBy);
  }

  /**
   * Fetch a blob into `sink`; `sink.commit()` only after every byte verified, `abort`
   * otherwise. A sink with `finish` supplies the digest of what it was given (one hash per
   * byte instead of two); it is compared exactly as the client's own would be.
   */
  async fetchBlob(repository: string, expected: ExpectedContent, sink: BlobSink): Promise<void> {
    const hashedBy = sink.finish === undefined ? undefined : () => sink.finish!();
    try {
      for await (const chunk of this.blobChunks(repository, expected, hashedBy)) await sink.write(chunk);
    } catch (e) {
      await sink.abort?.(e);
      throw e;
    }
    await sink.commit?.();
  }

  /** Fetch a (small) blob into memory, verified; e.g. an image config. */
  async fetchBlobBytes(repository: string, expected: ExpectedContent): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.blobChunks(repository, expected)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /**
   * Push one blob unless the repository has it: HEAD first (→ 'skipped'); then a
   * cross-repository mount from each of `mountFrom` (→ 'mounted'); if the registry
   * answers a mount with 202 it opened an upload session, which is used for the upload.
   */
  async pushBlob(repository: string, blob: BlobSource, mountFrom: readonly string[] = []): Promise<BlobPushOutcome> {
    requireRepository(repository);
    requireDigest(blob.digest, this.where(repository));
    if (await this.blobExists(repository, blob.digest)) return 'skipped';
    let session: URL | undefined;
    for (const from of mountFrom) {
      if (from === repository) continue;
      requireRepository(from);
      const res = await this.transport.send({
        method: 'POST',
        url: this.transport.url(`/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`),
        scopes: [pushScope(repository), pullScope(from)],
        ok: [201, 202],
        what: `mount blob ${blob.digest} from ${from}`,
      });
      await readPrefix(res.body);
      if (res.status === 201) return 'mounted';
      session = this.location(res, `mount blob ${blob.digest}`);
      break;
    }
    await this.uploadBlob(repository, blob, session);
    return 'uploaded';
  }

  /**
   * Upload a blob (no existence check): monolithic (POST, then PUT ?digest= with the bytes)
   * or, when larger than the chunk size, chunked (POST, PATCH per chunk with Content-Range,
   * then PUT ?digest=). The bytes are hashed while sent; a source that does not match its
   * digest aborts the upload (`registry/source-mismatch`).
   */
  async uploadBlob(repository: string, blob: BlobSource, session?: URL): Promise<void> {
    requireRepository(repository);
    requireDigest(blob.digest, this.where(repository));
    const start = session ?? (await this.startUpload(repository));
    if (this.chunkSize !== undefined && blob.length > this.chunkSize) {
      await this.uploadChunked(repository, blob, start, this.chunkSize);
      return;
    }
    const url = new URL(start);
    url.searchParams.set('digest', blob.digest);
    const source: BodySource = { length: blob.length, open: () => checkedSource(blob, this.where(repository)) };
    const res = await this.transport.send({
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/octet-stream' },
      body: source,
      scopes: [pushScope(repository)],
      ok: [201],
      // a retried PUT re-sends the whole blob to the same session; registries accept that
      what: `upload blob ${blob.digest}`,
    });
    await readPrefix(res.body);
    this.checkStoredDigest(res.headers['docker-content-digest'], blob.digest, repository);
  }

  private async startUpload(repository: string): Promise<URL> {
    const res = await this.transport.send({
      method: 'POST',
      url: this.transport.url(`/v2/${repository}/blobs/uploads/`),
      scopes: [pushScope(repository)],
      ok: [202],
      what: `start upload to ${repository}`,
    });
    await readPrefix(res.body);
    return this.location(res, `start upload to ${repository}`);
  }

  private location(res: { headers: Record<string, string | string[] | undefined>; url: URL }, what: string): URL {
    const loc = res.headers.location;
    if (typeof loc !== 'string' || loc === '') {
      throw registryError('bad-response', `${what}: the registry gave no upload Location`, { where: displayUrl(res.url), hint: 'the registry does not follow the distribution spec' });
    }
    return new URL(loc, res.url);
  }

  private async uploadChunked(repository: string, blob: BlobSource, start: URL, chunkSize: number): Promise<void> {
    let url = start;
    let offset = 0;
    const hasher = new DigestCounter();
    const sendChunk = async (chunk: Buffer): Promise<void> => {
      const end = offset + chunk.length - 1;
      const res = await this.transport.send({
        method: 'PATCH',
        url,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}` },
        body: chunk,
        scopes: [pushScope(repository)],
        ok: [202],
        retry: false,
        what: `upload chunk ${offset}-${end} of ${blob.digest}`,
      });
      await readPrefix(res.body);
      const range = res.headers.range;
      if (typeof range === 'string') {
        const m = /^(?:bytes=)?0-([0-9]+)$/.exec(range.trim());
        if (!m || Number(m[1]) !== end) {
          throw registryError('bad-response', `upload of ${blob.digest}: the registry holds range '${printable(range, 40)}' after chunk ${offset}-${end}`, {
            where: displayUrl(res.url),
            hint: 'the upload session went out of step; push again',
          });
        }
      }
      url = this.location(res, `upload chunk of ${blob.digest}`);
      offset = end + 1;
    };
    let pending: Buffer[] = [];
    let pendingSize = 0;
    for await (const piece of blob.open()) {
      let p = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      hasher.update(p);
      if (hasher.size > blob.length) throw sourceMismatch(blob, this.where(repository), `more than ${blob.length} bytes`);
      while (p.length > 0) {
        const take = Math.min(chunkSize - pendingSize, p.length);
        pending.push(p.subarray(0, take));
        pendingSize += take;
        p = p.subarray(take);
        if (pendingSize === chunkSize) {
          await sendChunk(Buffer.concat(pending, pendingSize));
          pending = [];
          pendingSize = 0;
        }
      }
    }
    if (pendingSize > 0) await sendChunk(Buffer.concat(pending, pendingSize));
    const actual = hasher.digest();
    if (hasher.size !== blob.length || actual !== blob.digest) throw sourceMismatch(blob, this.where(repository), `${hasher.size} bytes hashing to ${actual}`);
    const done = new URL(url);
    done.searchParams.set('digest', blob.digest);
    const res = await this.transport.send({
      method: 'PUT',
      url: done,
      headers: { 'content-type': 'application/octet-stream' },
      scopes: [pushScope(repository)],
      ok: [201],
      retry: false,
      what: `finish upload of ${blob.digest}`,
    });
    await readPrefix(res.body);
    this.checkStoredDigest(res.headers['docker-content-digest'], blob.digest, repository);
  }

  private checkStoredDigest(header: string | string[] | undefined, expected: string, repository: string): void {
    if (typeof header === 'string' && isSha256Digest(header) && header !== expected) {
      throw registryError('digest-mismatch', `the registry stored ${header} where ${expected} was pushed`, {
        where: this.where(repository),
        kind: 'check',
        hint: 'the registry or a proxy altered the upload; do not use this registry',
      });
    }
  }

  /**
   * GET a manifest by tag or digest, capped (`registry/manifest-too-large`) and verified:
   * by digest, the bytes must hash to it; by tag, the computed digest is returned and must
   * equal `Docker-Content-Digest` when the registry sends one.
   */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    requireRepository(repository);
    requireTagOrDigest(reference);
    const where = this.where(repository, isSha256Digest(reference) ? `@${reference}` : `:${reference}`);
    const res = await this.transport.send({
      method: 'GET',
      url: this.transport.url(`/v2/${repository}/manifests/${reference}`),
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      scopes: [pullScope(repository)],
      ok: [200],
      followRedirects: true,
      what: `GET manifest ${reference}`,
    });
    const tooLarge = (n: number | undefined) =>
      registryError('manifest-too-large', `manifest ${reference}: ${n !== undefined ? `${n} bytes announced` : 'more bytes arrived than allowed'}, the limit is ${this.manifestCap}`, {
        where,
        kind: 'check',
        hint: 'a manifest is a few KiB; a registry serving megabytes is broken or hostile',
      });
    const bytes = await readCapped(res.body, this.manifestCap, where, `manifest ${reference}`, tooLarge);
    const digest = sha256Of(bytes);
    const announced = res.headers['docker-content-digest'];
    const expected = isSha256Digest(reference) ? reference : typeof announced === 'string' && isSha256Digest(announced) ? announced : undefined;
    if (expected !== undefined && digest !== expected) {
      throw registryError('digest-mismatch', `manifest ${reference}: the bytes received hash to ${digest}, expected ${expected}`, {
        where,
        kind: 'check',
        hint: 'the registry (or something between) served a tampered or corrupt manifest; nothing was kept',
        detail: { expected, actual: digest },
      });
    }
    const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { bytes, digest, mediaType: contentType || mediaTypeInside(bytes) || '' };
  }

  /** HEAD a manifest: undefined if unknown; else what the registry says about it (unverified). */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    requireRepository(repository);
    requireTagOrDigest(reference);
    const res = await this.transport.send({
      method: 'HEAD',
      url: this.transport.url(`/v2/${repository}/manifests/${reference}`),
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      scopes: [pullScope(repository)],
      ok: [200, 404],
      followRedirects: true,
      what: `HEAD manifest ${reference}`,
    });
    res.body.resume();
    if (res.status === 404) return undefined;
    const d = res.headers['docker-content-digest'];
    const ct = res.headers['content-type'];
    return {
      digest: typeof d === 'string' && isSha256Digest(d) ? d : undefined,
      mediaType: typeof ct === 'string' ? ct.split(';')[0]!.trim() : undefined,
      size: contentLength(res.body),
    };
  }

  /** PUT a manifest under a tag or its digest; returns its digest (checked against the registry's). */
  async putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    requireRepository(repository);
    requireTagOrDigest(reference);
    const digest = sha256Of(bytes);
    if (isSha256Digest(reference) && reference !== digest) {
      throw registryError('digest-mismatch', `manifest bytes hash to ${digest}, not ${reference}`, { where: this.where(repository), kind: 'input', hint: 'push the manifest under its own digest' });
    }
    if (bytes.length > this.manifestCap) {
      throw registryError('manifest-too-large', `manifest of ${bytes.length} bytes exceeds ${this.manifestCap}`, { where: this.where(repository), kind: 'input', hint: 'registries refuse manifests over 4 MiB' });
    }
    const res = await this.transport.send({
      method: 'PUT',
      url: this.transport.url(`/v2/${repository}/manifests/${reference}`),
      headers: { 'content-type': mediaType },
      body: bytes,
      scopes: [pushScope(repository)],
      ok: [201],
      what: `PUT manifest ${reference}`,
    });
    await readPrefix(res.body);
    this.checkStoredDigest(res.headers['docker-content-digest'], digest, repository);
    return digest;
  }

  /** Every tag of a repository, following `Link: <…>; rel="next"` pagination (same origin only). */
  async listTags(repository: string, pageSize = 1000): Promise<string[]> {
    requireRepository(repository);
    const tags: string[] = [];
    const seen = new Set<string>();
    let url: URL | undefined = this.transport.url(`/v2/${repository}/tags/list?n=${pageSize}`);
    for (let page = 0; url; page++) {
      if (page >= 10_000 || seen.has(url.href)) {
        throw registryError('bad-response', `tag listing of ${repository} does not end`, { where: this.where(repository), hint: 'the registry paginates in a loop' });
      }
      seen.add(url.href);
      const res = await this.transport.send({ method: 'GET', url, scopes: [pullScope(repository)], ok: [200], what: `list tags of ${repository}` });
      const body = await readCapped(res.body, this.manifestCap, this.where(repository), 'tag list', () =>
        registryError('bad-response', `a tag list page of ${repository} is larger than ${this.manifestCap} bytes`, { where: this.where(repository) }),
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      const list = (parsed as { tags?: unknown } | undefined)?.tags;
      if (list !== null && (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))) {
        throw registryError('bad-response', `the tag list of ${repository} is not {"tags":[…]}`, { where: this.where(repository), hint: 'the registry does not follow the distribution spec' });
      }
      if (Array.isArray(list)) tags.push(...(list as string[]));
      url = nextLink(res.headers.link, res.url);
      if (url && url.origin !== this.transport.origin) {
        throw registryError('bad-response', `the tag list of ${repository} links to another origin`, { where: this.where(repository), kind: 'check', hint: 'refusing to follow pagination off the registry' });
      }
    }
    return tags;
  }
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** The `rel="next"` target of a Link header, resolved against `base`. */
export function nextLink(header: string | string[] | undefined, base: URL): URL | undefined {
  const h = Array.isArray(header) ? header.join(', ') : header;
  if (!h) return undefined;
  for (const part of h.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/i.test(m[2]!)) return new URL(m[1]!, base);
  }
  return undefined;
}

function mediaTypeInside(bytes: Buffer): string | undefined {
  try {
    const m = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

function sourceMismatch(blob: BlobSource, where: string, got: string): Error {
  return registryError('source-mismatch', `the local blob ${blob.digest} (${blob.length} bytes) produced ${got}`, {
    where,
    kind: 'check',
    hint: 'the local copy is corrupt; run `strata fsck` on the store',
  });
}

/** Re-hash a blob source while it is read; throws before the last byte is sent if it differs. */
async function* checkedSource(blob: BlobSource, where: string): AsyncGenerator<Uint8Array, void, undefined> {
  const hasher = new DigestCounter();
  const held: Uint8Array[] = [];
  for await (const chunk of blob.open()) {
    hasher.update(chunk);
    if (hasher.size > blob.length) throw sourceMismatch(blob, where, `more than ${blob.length} bytes`);
    // hold back the last chunk until the hash is known, so a wrong source never completes an upload
    if (held.length) yield held.pop()!;
    held.push(chunk);
  }
  const actual = hasher.digest();
  if (hasher.size !== blob.length || actual !== blob.digest) throw sourceMismatch(blob, where, `${hasher.size} bytes hashing to ${actual}`);
  if (held.length) yield held.pop()!;
}
