/**
 * The lookaside signature store (containers-registries.d(5) "lookaside" layout):
 *
 *   <base>/<repository path>@sha256=<hex>/signature-<n>      n = 1, 2, …
 *
 * Readers stop at the first missing n. Writers take the first free n, atomically: the
 * bytes go to a temporary file in the same directory, which is then hard-linked to
 * signature-<n> (link(2) fails if the name exists, so nothing is ever overwritten) and
 * unlinked. Bases: a directory path, a file:// URL, or an http(s):// URL (read only).
 * Every read is capped at MAX_SIGNATURE_BYTES.
 */
import fsSync, { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { StrataError } from '../errors.js';
import { writeSyncedTemp } from '../store/atomic-file.js';
import { MAX_SIGNATURE_BYTES } from './openpgp.js';
import { reject, type Rejection } from './reasons.js';

export type LookasideBase =
  | { readonly kind: 'dir'; readonly dir: string; readonly display: string }
  | { readonly kind: 'http'; readonly url: string; readonly display: string };

/** Readers never look past this many signatures for one digest. */
export const MAX_SIGNATURES_PER_DIGEST = 256;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const REPO_PATH_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Does `value` start with a URL scheme (`name://`)? Such a value is never taken as a directory. */
export function hasUrlScheme(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/** `--signatures DIR|file://…|http(s)://…` → a base. Relative directories resolve against `cwd`. */
export function parseLookasideBase(value: string, cwd: string): LookasideBase {
  if (/^https?:\/\//i.test(value)) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw badBase(value, 'is not a valid URL');
    }
    return { kind: 'http', url: u.href.replace(/\/+$/, ''), display: value };
  }
  if (/^file:/i.test(value)) {
    let dir: string;
    try {
      dir = fileURLToPath(value);
    } catch {
      throw badBase(value, 'is not a valid file:// URL');
    }
    return { kind: 'dir', dir, display: value };
  }
  if (hasUrlScheme(value)) throw badBase(value, 'uses a scheme strata cannot read');
  return { kind: 'dir', dir: path.resolve(cwd, value), display: value };
}

function badBase(value: string, why: string): StrataError {
  return new StrataError('trust/bad-signatures-location', `--signatures '${value}' ${why}`, {
    hint: 'give a directory, a file:// URL or an http(s):// URL',
  });
}

/** `<repository path>@sha256=<hex>`: the per-digest directory name. */
export function signatureDir(repositoryPath: string, digest: string): string {
  if (!REPO_PATH_RE.test(repositoryPath)) throw new Error(`signatureDir: bad repository path '${repositoryPath}'`);
  if (!DIGEST_RE.test(digest)) throw new Error(`signatureDir: bad digest '${digest}'`);
  return `${repositoryPath}@sha256=${digest.slice('sha256:'.length)}`;
}

export interface FetchedSignature {
  /** The n of signature-<n>. */
  readonly n: number;
  /** Where it came from, as the user should see it. */
  readonly source: string;
  readonly bytes: Uint8Array | undefined;
  /** Set when the file exists but could not be read within the limits. */
  readonly rejection: Rejection | undefined;
}

/** Read signature-1, -2, … up to the first gap. */
export async function readSignatures(base: LookasideBase, repositoryPath: string, digest: string): Promise<FetchedSignature[]> {
  const rel = signatureDir(repositoryPath, digest);
  const out: FetchedSignature[] = [];
  for (let n = 1; n <= MAX_SIGNATURES_PER_DIGEST; n++) {
    const got = base.kind === 'dir' ? await readFileSignature(base, rel, n) : await readHttpSignature(base, rel, n);
    if (got === 'missing') break;
    out.push(got);
    if (got.rejection?.code === 'trust/signature-unreadable' && base.kind === 'http') break;
  }
  return out;
}

/**
 * Synchronous on purpose: signature files are tiny, and three syscalls per file beat the
 * promise machinery by a wide margin when a tree has thousands of them.
 */
async function readFileSignature(base: Extract<LookasideBase, { kind: 'dir' }>, rel: string, n: number): Promise<FetchedSignature | 'missing'> {
  const file = path.join(base.dir, rel, `signature-${n}`);
  const source = path.join(base.display, rel, `signature-${n}`);
  let fd: number;
  try {
    fd = fsSync.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    return { n, source, bytes: undefined, rejection: reject('trust/signature-unreadable', `cannot open: ${code ?? String(e)}`) };
  }
  try {
    const st = fsSync.fstatSync(fd);
    if (!st.isFile()) {
      return { n, source, bytes: undefined, rejection: reject('trust/signature-unreadable', 'not a regular file') };
    }
    if (st.size > MAX_SIGNATURE_BYTES) {
      return {
        n,
        source,
        bytes: undefined,
        rejection: reject('trust/signature-too-large', `file is ${st.size} bytes, more than the ${MAX_SIGNATURE_BYTES}-byte limit`),
      };
    }
    // Read at most cap+1 bytes, in case the file grew after fstat.
    const buf = Buffer.allocUnsafe(Math.min(st.size, MAX_SIGNATURE_BYTES) + 1);
    let len = 0;
    for (;;) {
      const got = fsSync.readSync(fd, buf, len, buf.length - len, len);
      if (got === 0) break;
      len += got;
      if (len === buf.length) break;
    }
    if (len > MAX_SIGNATURE_BYTES) {
      return { n, source, bytes: undefined, rejection: reject('trust/signature-too-large', `file is more than ${MAX_SIGNATURE_BYTES} bytes`) };
    }
    if (len > st.size) {
      return { n, source, bytes: undefined, rejection: reject('trust/signature-unreadable', 'file changed while it was read') };
    }
    return { n, source, bytes: new Uint8Array(buf.buffer, buf.byteOffset, len), rejection: undefined };
  } catch (e) {
    return { n, source, bytes: undefined, rejection: reject('trust/signature-unreadable', `cannot read: ${(e as Error).message}`) };
  } finally {
    fsSync.closeSync(fd);
  }
}

async function readHttpSignature(base: Extract<LookasideBase, { kind: 'http' }>, rel: string, n: number): Promise<FetchedSignature | 'missing'> {
  const url = `${base.url}/${rel}/signature-${n}`;
  const unreadable = (why: string): FetchedSignature => ({
    n,
    source: url,
    bytes: undefined,
    rejection: reject('trust/signature-unreadable', why),
  });
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is its cause.
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (e as Error).message;
    return unreadable(`cannot fetch: ${why}`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return 'missing';
  }
  if (!res.ok) {
    await res.body?.cancel();
    return unreadable(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_SIGNATURE_BYTES) {
    await res.body?.cancel();
    return {
      n,
      source: url,
      bytes: undefined,
      rejection: reject('trust/signature-too-large', `server declares ${declared} bytes, more than the ${MAX_SIGNATURE_BYTES}-byte limit`),
    };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > MAX_SIGNATURE_BYTES) {
          await reader.cancel();
          return {
            n,
            source: url,
            bytes: undefined,
            rejection: reject('trust/signature-too-large', `body is more than ${MAX_SIGNATURE_BYTES} bytes`),
          };
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    return unreadable(`reading the body failed: ${(e as Error).message}`);
  }
  return { n, source: url, bytes: new Uint8Array(Buffer.concat(chunks)), rejection: undefined };
}

/**
 * Store one signature under the first free signature-<n>; returns n and the file path.
 * Safe against concurrent writers: each link(2) either creates the name or fails.
 */
export async function writeSignature(baseDir: string, repositoryPath: string, digest: string, bytes: Uint8Array): Promise<{ n: number; file: string }> {
  const dir = path.join(baseDir, signatureDir(repositoryPath, digest));
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.tmp-signature-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeSyncedTemp(tmp, bytes);
  try {
    for (let n = 1; n <= MAX_SIGNATURES_PER_DIGEST; n++) {
      const file = path.join(dir, `signature-${n}`);
      try {
        await fs.link(tmp, file);
        return { n, file };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new StrataError('trust/too-many-signatures', `${dir} already holds ${MAX_SIGNATURES_PER_DIGEST} signatures`, {
      kind: 'io',
      hint: 'remove stale signatures from the lookaside directory',
    });
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}
