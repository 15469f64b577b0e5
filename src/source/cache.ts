/**
 * The content-addressed source cache (ADR 0030).
 *
 * Layout: `<dir>/sha256/<64 hex>` — one file per blob, named by the sha256 of its bytes.
 * Guarantees:
 * - nothing appears under its name unless its bytes hash to that name: writes go to a
 *   temporary file in the same directory (`.tmp-…`), are hashed as they are written,
 *   fsynced, and renamed into place only when the hash matches;
 * - writing a blob that is already there is harmless (idempotent; rename is atomic);
 * - `recheck()` re-hashes every blob and removes the ones that no longer match.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../store/atomic-file.js';

/** 64 lower-case hex digits: the only form of hash the cache accepts. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export const TEMP_PREFIX = '.tmp-';

/** How hashes appear in messages: the first 12 hex digits and an ellipsis. */
export function shortHash(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

export type CommitResult =
  | { readonly ok: true; readonly path: string; readonly bytes: number }
  | { readonly ok: false; readonly got: string; readonly bytes: number };

/** A blob being written: hashed as it goes, kept only if the hash matches at commit. */
export interface BlobWriter {
  readonly expected: string;
  readonly tempPath: string;
  /** Bytes written so far. */
  readonly bytes: number;
  write(chunk: Uint8Array): Promise<void>;
  /** fsync, compare, rename into place on a match; on a mismatch the temp file is removed. */
  commit(): Promise<CommitResult>;
  /** Remove the temp file (safe to call more than once, and after commit). */
  abort(): Promise<void>;
}

export interface CorruptBlob {
  readonly hash: string;
  /** What the bytes hash to now. */
  readonly got: string;
}

export interface RecheckReport {
  /** Blobs whose bytes still match their name. */
  readonly ok: readonly string[];
  /** Blobs that did not match and were removed. */
  readonly corrupt: readonly CorruptBlob[];
  /** Leftover temporary files (from a killed run) that were removed. */
  readonly staleTemps: readonly string[];
  /** Entries that are neither blobs nor temp files; reported, left alone. */
  readonly strays: readonly string[];
}

function assertHash(hash: string): void {
  if (!SHA256_HEX.test(hash)) throw new TypeError(`not a sha256 hex digest: '${hash}'`);
}

/** sha256 of a file's bytes, streamed. */
export async function hashFile(file: string): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    bytes += b.length;
    h.update(b);
  }
  return { hash: h.digest('hex'), bytes };
}

export class SourceCache {
  /** The cache root (holds `sha256/`). */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The directory the blobs live in. */
  get blobDir(): string {
    return path.join(this.dir, 'sha256');
  }

  /** Where the blob with this hash is (or would be). */
  path(hash: string): string {
    assertHash(hash);
    return path.join(this.blobDir, hash);
  }

  /** True when the blob is present (a regular file). Does not re-hash: see recheck(). */
  async has(hash: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.path(hash))).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Hashes of every blob present, sorted. */
  async list(): Promise<string[]> {
    const names = await this.entries();
    return names.filter((n) => SHA256_HEX.test(n)).sort();
  }

  private async entries(): Promise<string[]> {
    try {
      return await fsp.readdir(this.blobDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** Start writing a blob that must hash to `expected`. */
  async writer(expected: string): Promise<BlobWriter> {
    assertHash(expected);
    await fsp.mkdir(this.blobDir, { recursive: true });
    const tempPath = path.join(this.blobDir, `${TEMP_PREFIX}${expected.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    const fh = await fsp.open(tempPath, 'wx', 0o644);
    const hasher = createHash('sha256');
    const finalPath = this.path(expected);
    const blobDir = this.blobDir;
    let bytes = 0;
    let closed = false;
    let finished = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    return {
      expected,
      tempPath,
      get bytes() {
        return bytes;
      },
      async write(chunk: Uint8Array): Promise<void> {
        if (closed) throw new Error('write after commit/abort');
        hasher.update(chunk);
        bytes += chunk.length;
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
      },
      async commit(): Promise<CommitResult> {
        if (finished) throw new Error('commit twice');
        finished = true;
        const got = hasher.digest('hex');
        if (got !== expected) {
          await close();
          await fsp.rm(tempPath, { force: true });
          return { ok: false, got, bytes };
        }
        await fh.sync();
        await close();
        await fsp.rename(tempPath, finalPath);
        await syncDir(blobDir);
        return { ok: true, path: finalPath, bytes };
      },
      async abort(): Promise<void> {
        finished = true;
        await close();
        await fsp.rm(tempPath, { force: true });
      },
    };
  }

  /** Copy a local file into the cache, verifying it hashes to `expected`. */
  async putFile(file: string, expected: string): Promise<CommitResult> {
    const w = await this.writer(expected);
    try {
      for await (const chunk of createReadStream(file)) await w.write(chunk as Buffer);
      return await w.commit();
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  /** Re-hash every blob; remove those that do not match their name and leftover temp files. */
  async recheck(onBlob?: (hash: string, ok: boolean) => void): Promise<RecheckReport> {
    const ok: string[] = [];
    const corrupt: CorruptBlob[] = [];
    const staleTemps: string[] = [];
    const strays: string[] = [];
    for (const name of (await this.entries()).sort()) {
      const p = path.join(this.blobDir, name);
      const st = await fsp.lstat(p);
      if (name.startsWith(TEMP_PREFIX) && st.isFile()) {
        await fsp.rm(p, { force: true });
        staleTemps.push(name);
        continue;
      }
      if (!SHA256_HEX.test(name) || !st.isFile()) {
        strays.push(name);
        continue;
      }
      const { hash } = await hashFile(p);
      if (hash === name) {
        ok.push(name);
        onBlob?.(name, true);
      } else {
        await fsp.rm(p, { force: true });
        corrupt.push({ hash: name, got: hash });
        onBlob?.(name, false);
      }
    }
    return { ok, corrupt, staleTemps, strays };
  }
}

/** fsync a directory so a rename in it survives a crash (best effort where unsupported). */
async function syncDir(dir: string): Promise<void> {
  try {
    await fsyncDir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  }
}

/** The default cache directory: `--cache`, else $STRATA_CACHE, else `<tree>/.strata/sources`. */
export function defaultCacheDir(tree: string, flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env['STRATA_CACHE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.join(tree, '.strata', 'sources');
}
