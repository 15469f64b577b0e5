/**
 * The local store: ONE valid OCI image layout (oci-layout, index.json, blobs/sha256/…),
 * one `org.opencontainers.image.ref.name` per image, blobs shared. Guarantees (ADR 0054):
 *
 * - put verifies while writing: bytes go to `tmp/<pid>-<rand>.blob`, are hashed as they
 *   are written, fsync'd, and renamed into `blobs/sha256/<hex>` only when digest and size
 *   match what the caller expected; the directory is fsync'd after the rename (or, for
 *   a batch, once after the last rename and before any ref names the blobs — ADR 0125);
 * - put is idempotent: putting an existing blob rewrites the same bytes atomically
 *   (which also repairs a damaged copy);
 * - index updates are atomic and serialised: under `index.json.lock`, index.json is
 *   re-read, changed, written to a temp file, fsync'd and renamed;
 * - a ref is only set when its manifest, config and layers are all present with the
 *   right sizes, so a killed build never leaves a partial image behind a ref;
 * - reads verify: readBlob hashes before returning, streamBlob fails at the end on a
 *   mismatch.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DigestCounter, sha256Digest, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { buildIndex, buildManifest, type Serialized } from '../oci/build.js';
import { canonicalJsonBytes, compareUtf8 } from '../oci/canonical-json.js';
import {
  ANNOTATION_REF_NAME,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  OCI_LAYOUT_VERSION,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../oci/types.js';
import { isValidRefName, parseImageConfig, parseIndex, parseManifest } from '../oci/validate.js';
import { fsyncDir, replaceFileAtomically } from './atomic-file.js';
import { acquireLock } from './lock.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, LOCK_FILE, TMP_DIR, blobPath } from './paths.js';

/** Manifests and configs larger than this are refused when read. */
export const MAX_JSON_BLOB = 4 * 1024 * 1024;

export interface Expected {
  readonly digest?: Digest;
  readonly size?: number;
}

export interface BlobRef {
  readonly digest: Digest;
  readonly size: number;
}

function tempName(kind: string): string {
  return `${process.pid}-${randomBytes(8).toString('hex')}.${kind}`;
}

/**
 * Small writes are copied into a buffer of this size and written together. 256 KiB, not
 * more: with 1 MiB buffers a pull's system time doubled (measured; most likely the kernel's
 * copy into the page cache no longer hitting the CPU cache) — ADR 0126.
 */
const WRITE_BUFFER = 256 * 1024;

export interface CommitOptions {
  /**
   * fsync `blobs/sha256/` after the rename (default true). A caller that commits several
   * blobs may pass false and call `OciStore.syncBlobDirectory()` once after the last
   * rename — before anything (a ref) names them (ADR 0125).
   */
  readonly syncDirectory?: boolean;
}

/**
 * A blob being written: hashed as it goes, committed by an atomic rename.
 *
 * Every byte given to `write` is hashed at once (so a caller may reuse its buffer as soon
 * as `write` returns), copied into a 256 KiB buffer when small and written in larger pieces.
 * `finish()` ends the writing: it writes what is buffered, fsyncs and closes the temp file
 * and reports the digest and size of exactly the bytes given to `write` — the digest a
 * caller may compare instead of hashing the same bytes again (ADR 0124). `commit()`
 * compares that digest and size with what the caller expects and only then renames.
 */
export class BlobWriter {
  private readonly hash = new DigestCounter();
  private buffer: Buffer | undefined;
  private buffered = 0;
  private finishing: Promise<BlobRef> | undefined;
  private done = false;
  private constructor(
    private readonly store: OciStore,
    private readonly fh: FileHandle,
    readonly tempPath: string,
  ) {}

  static async create(store: OciStore): Promise<BlobWriter> {
    const p = path.join(store.root, TMP_DIR, tempName('blob'));
    const fh = await open(p, 'wx', 0o644);
    return new BlobWriter(store, fh, p);
  }

  /** Bytes given to `write` so far. */
  get size(): number {
    return this.hash.size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.finishing !== undefined || this.done) throw new Error('BlobWriter: write after finish');
    this.hash.update(chunk);
    if (chunk.length >= WRITE_BUFFER / 4) {
      await this.flush();
      await this.writeAll(chunk);
      return;
    }
    let off = 0;
    while (off < chunk.length) {
      this.buffer ??= Buffer.allocUnsafe(WRITE_BUFFER);
      const n = Math.min(chunk.length - off, WRITE_BUFFER - this.buffered);
      this.buffer.set(chunk.subarray(off, off + n), this.buffered);
      this.buffered += n;
      off += n;
      if (this.buffered === WRITE_BUFFER) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const b = this.buffer!.subarray(0, this.buffered);
    this.buffered = 0;
    // awaited: the buffer is free for the next bytes once the write returned (one
    // buffer per writer, reused, keeps external memory and GC down)
    await this.writeAll(b);
  }

  private async writeAll(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  /**
   * End writing: write the buffered bytes, fsync and close the temp file. Returns the
   * digest and size of the bytes given to `write` (computed once, here). Idempotent;
   * nothing is renamed yet.
   */
  finish(): Promise<BlobRef> {
    if (this.done && this.finishing === undefined) return Promise.reject(new Error('BlobWriter already aborted'));
    this.finishing ??= (async () => {
      await this.flush();
      const result = { digest: this.hash.digest(), size: this.hash.size };
      await this.fh.sync();
      await this.fh.close();
      return result;
    })();
    return this.finishing;
  }

  /**
   * Finish if not done yet, verify against `expected`, rename into `blobs/sha256/` and
   * (unless told otherwise) fsync that directory. On a mismatch the temp file is removed
   * and nothing is stored.
   */
  async commit(expected: Expected = {}, options: CommitOptions = {}): Promise<BlobRef> {
    if (this.done) throw new Error('BlobWriter already finished');
    try {
      const { digest, size } = await this.finish();
      this.done = true;
      if ((expected.digest !== undefined && expected.digest !== digest) || (expected.size !== undefined && expected.size !== size)) {
        throw new StrataError('store/digest-mismatch', `content does not match: expected ${expected.digest ?? '(any digest)'} / ${expected.size ?? '(any)'} bytes, got ${digest} / ${size} bytes`, {
          hint: 'the data was corrupted in transit or the expected digest is wrong; nothing was stored',
          kind: 'check',
        });
      }
      await rename(this.tempPath, blobPath(this.store.root, digest));
      if (options.syncDirectory !== false) await this.store.syncBlobDirectory();
      return { digest, size };
    } catch (e) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.buffer = undefined;
    // a finish() in progress owns the handle until it settles
    if (this.finishing !== undefined) await this.finishing.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

export interface ImageRecord {
  readonly ref: string;
  readonly descriptor: Descriptor;
}

/** index.json as last read by this store object, with the identity of the file it came from. */
interface IndexSnapshot {
  /** dev:ino:size:mtimeNs:ctimeNs of the file read. */
  readonly key: string;
  readonly index: ImageIndex;
  readonly refs: ReadonlyMap<string, Descriptor>;
}

function fileKey(st: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export class OciStore {
  /**
   * The parsed index.json, re-read only when the file's identity (inode, size, mtime,
   * ctime) changes: index updates replace the file by rename, so every change is seen,
   * while a build resolving hundreds of refs parses it once instead of once per lookup.
   */
  private indexSnapshot: IndexSnapshot | undefined;

  private constructor(readonly root: string) {}

  /**
   * Open a store; with `create`, make an empty layout when the directory does not hold
   * one yet. Without it, a missing layout is an input error (`store/not-a-store`).
   */
  static async open(root: string, opts: { create?: boolean } = {}): Promise<OciStore> {
    const abs = path.resolve(root);
    const store = new OciStore(abs);
    const hasLayout = await stat(path.join(abs, LAYOUT_FILE)).then(() => true, () => false);
    if (!hasLayout && !opts.create) {
      throw new StrataError('store/not-a-store', 'not a strata store (no oci-layout file)', {
        location: { file: root },
        hint: 'build something first, or pass --store DIR pointing at an existing store',
      });
    }
    await mkdir(path.join(abs, BLOBS_DIR), { recursive: true });
    await mkdir(path.join(abs, TMP_DIR), { recursive: true });
    if (!hasLayout) {
      await store.withLock(async () => {
        if (!(await stat(path.join(abs, INDEX_FILE)).then(() => true, () => false))) {
          await store.writeFileAtomic(INDEX_FILE, canonicalJsonBytes(buildIndex([]).value));
        }
        await store.writeFileAtomic(LAYOUT_FILE, canonicalJsonBytes({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
      });
    }
    return store;
  }

  /** Run `fn` holding the store's index lock. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const release = await acquireLock(path.join(this.root, LOCK_FILE), { scratchDir: path.join(this.root, TMP_DIR) });
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  /** Replace the file `name` at the store's root (temp file in tmp/, root fsync'd after the rename). */
  private async writeFileAtomic(name: string, bytes: Uint8Array): Promise<void> {
    await replaceFileAtomically(path.join(this.root, name), bytes, { tmp: path.join(this.root, TMP_DIR, tempName('index')), syncDir: this.root });
  }

  blobPath(d: Digest): string {
    return blobPath(this.root, d);
  }

  /** fsync `blobs/sha256/`: makes every rename into it so far durable. */
  async syncBlobDirectory(): Promise<void> {
    await fsyncDir(path.join(this.root, BLOBS_DIR));
  }

  async openBlobWriter(): Promise<BlobWriter> {
    return BlobWriter.create(this);
  }

  /** Store bytes from a stream or buffer, verified against `expected` if given. */
  async putBlob(source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected: Expected = {}): Promise<BlobRef> {
    const w = await this.openBlobWriter();
    try {
      if (source instanceof Uint8Array) await w.write(source);
      else for await (const c of source) await w.write(c);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit(expected);
  }

  /** Store a serialized JSON object (config, manifest) under its descriptor. */
  async putSerialized(s: Serialized<unknown>): Promise<Descriptor> {
    await this.putBlob(s.bytes, { digest: s.descriptor.digest, size: s.descriptor.size });
    return s.descriptor;
  }

  async hasBlob(d: Digest, size?: number): Promise<boolean> {
    try {
      const st = await stat(this.blobPath(d));
      return st.isFile() && (size === undefined || st.size === size);
    } catch {
      return false;
    }
  }

  /** Read a whole (small) blob and verify its digest. */
  async readBlob(d: Digest, maxSize = MAX_JSON_BLOB): Promise<Uint8Array> {
    const p = this.blobPath(d);
    let st;
    try {
      st = await stat(p);
    } catch {
      throw missingBlob(d, p);
    }
    if (st.size > maxSize) {
      throw new StrataError('store/blob-too-large', `blob ${d} is ${st.size} bytes, more than the ${maxSize} allowed here`, { location: { file: p }, hint: 'the store holds an unexpected object; run strata fsck', kind: 'check' });
    }
    const bytes = await readFile(p);
    if (sha256Digest(bytes) !== d) throw corruptBlob(d, p);
    return bytes;
  }

  /** Stream a blob; throws `store/corrupt-blob` after the last chunk if it does not hash to `d`. */
  async *streamBlob(d: Digest): AsyncGenerator<Uint8Array> {
    const p = this.blobPath(d);
    const h = new DigestCounter();
    try {
      for await (const c of createReadStream(p, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>) {
        h.update(c);
        yield c;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingBlob(d, p);
      throw e;
    }
    if (h.digest() !== d) throw corruptBlob(d, p);
  }

  async readIndex(): Promise<ImageIndex> {
    return (await this.indexNow()).index;
  }

  /** The current index.json: the cached parse when the file is unchanged, else read, parsed and cached. */
  private async indexNow(): Promise<IndexSnapshot> {
    const p = path.join(this.root, INDEX_FILE);
    const missing = (): StrataError =>
      new StrataError('store/bad-index', `${p} is missing`, { location: { file: p }, hint: 'the store is damaged; run strata fsck', kind: 'check' });
    const cached = this.indexSnapshot;
    if (cached) {
      let key: string;
      try {
        key = fileKey(statSync(p, { bigint: true }));
      } catch {
        this.indexSnapshot = undefined;
        throw missing();
      }
      if (key === cached.key) return cached;
    }
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch {
      this.indexSnapshot = undefined;
      throw missing();
    }
    let bytes: Uint8Array;
    let key: string;
    try {
      // identity and bytes from the same open file, so a concurrent rename cannot pair them wrongly
      key = fileKey(await fh.stat({ bigint: true }));
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
    this.indexSnapshot = undefined;
    const index = parseIndex(bytes, p);
    const refs = new Map<string, Descriptor>();
    for (const m of index.manifests) {
      const ref = m.annotations?.[ANNOTATION_REF_NAME];
      if (ref !== undefined && !refs.has(ref)) refs.set(ref, m);
    }
    const snap: IndexSnapshot = { key, index, refs };
    this.indexSnapshot = snap;
    return snap;
  }

  async readManifest(d: Digest): Promise<ImageManifest> {
    return parseManifest(await this.readBlob(d), this.blobPath(d));
  }

  async readConfig(d: Digest): Promise<ImageConfig> {
    return parseImageConfig(await this.readBlob(d), this.blobPath(d));
  }

  async listImages(): Promise<ImageRecord[]> {
    const idx = await this.readIndex();
    return idx.manifests.flatMap((m) => {
      const ref = m.annotations?.[ANNOTATION_REF_NAME];
      return ref === undefined ? [] : [{ ref, descriptor: m }];
    });
  }

  async resolveRef(ref: string): Promise<Descriptor | undefined> {
    return (await this.indexNow()).refs.get(ref);
  }

  /** Check that a manifest and everything it references is present with the right sizes. */
  async assertComplete(desc: Descriptor): Promise<void> {
    if (!(await this.hasBlob(desc.digest, desc.size))) throw missingBlob(desc.digest, this.blobPath(desc.digest));
    if (desc.mediaType !== MEDIA_TYPE_MANIFEST) return;
    const m = await this.readManifest(desc.digest);
    for (const d of [m.config, ...m.layers]) {
      if (!(await this.hasBlob(d.digest, d.size))) throw missingBlob(d.digest, this.blobPath(d.digest));
    }
  }

  /**
   * Point `ref` at `desc` (atomic index update under the lock). The manifest and all its
   * blobs must already be in the store.
   */
  async setRef(ref: string, desc: Descriptor): Promise<void> {
    if (!isValidRefName(ref)) {
      throw new StrataError('store/bad-ref', `invalid image reference name '${ref}'`, { hint: 'ref names are letters, digits and . _ - : @ + separated components' });
    }
    if (desc.mediaType !== MEDIA_TYPE_MANIFEST && desc.mediaType !== MEDIA_TYPE_INDEX) {
      throw new StrataError('store/bad-ref', `cannot name a ${desc.mediaType} as an image`, { hint: 'refs point at manifests or indexes', kind: 'build' });
    }
    await this.assertComplete(desc);
    await this.updateIndex((ms) => [
      ...ms.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] !== ref),
      { ...desc, annotations: { ...(desc.annotations ?? {}), [ANNOTATION_REF_NAME]: ref } },
    ]);
  }

  async removeRef(ref: string): Promise<boolean> {
    let found = false;
    await this.updateIndex((ms) => ms.filter((m) => {
      const hit = m.annotations?.[ANNOTATION_REF_NAME] === ref;
      found ||= hit;
      return !hit;
    }));
    return found;
  }

  private async updateIndex(change: (ms: readonly Descriptor[]) => Descriptor[]): Promise<void> {
    await this.withLock(async () => {
      const idx = await this.readIndex();
      const next = change(idx.manifests).sort((a, b) =>
        compareUtf8(a.annotations?.[ANNOTATION_REF_NAME] ?? '', b.annotations?.[ANNOTATION_REF_NAME] ?? '') || compareUtf8(a.digest, b.digest),
      );
      await this.writeFileAtomic(INDEX_FILE, canonicalJsonBytes(buildIndex(next, idx.annotations ? { ...idx.annotations } : undefined).value));
    });
  }

  /**
   * Store an image: config blob (layers must already be stored), manifest blob, then the
   * ref. Returns the manifest descriptor (with platform), whose digest is the image digest.
   */
  async writeImage(ref: string, config: Serialized<ImageConfig>, layers: readonly Descriptor[]): Promise<Descriptor> {
    await this.putSerialized(config);
    const manifest = buildManifest(config.descriptor, layers);
    await this.putSerialized(manifest);
    const c = config.value;
    const desc: Descriptor = {
      ...manifest.descriptor,
      platform: { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}) },
    };
    await this.setRef(ref, desc);
    return desc;
  }
}

export function missingBlob(d: Digest, p: string): StrataError {
  return new StrataError('store/missing-blob', `blob ${d} is not in the store`, { location: { file: p }, hint: 'rebuild or re-pull the image; run strata fsck', kind: 'check' });
}

export function corruptBlob(d: Digest, p: string): StrataError {
  return new StrataError('store/corrupt-blob', `blob ${d} does not match its digest`, { location: { file: p }, hint: 'the store is damaged: run strata fsck, delete the blob and rebuild or re-pull', kind: 'check' });
}
