/**
 * `fsck`: prove the store is intact. Checks oci-layout, index.json (parses, valid, one
 * entry per ref name), every blob's hash and file name, every reference resolvable
 * (manifests → config + layers with the referenced sizes, configs valid, diff_ids count
 * = layers count), and that no temporary file or lock is left by a dead process.
 * Problems are collected; nothing is modified.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestFromHex, digestStream, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { ANNOTATION_REF_NAME, OCI_LAYOUT_VERSION } from '../oci/types.js';
import { parseIndex } from '../oci/validate.js';
import { pidAlive, isStale } from './lock.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, LOCK_FILE, TMP_DIR, tempOwnerPid } from './paths.js';
import { OciStore } from './store.js';
import { walkReferences } from './reachable.js';
import { createReadStream } from 'node:fs';

export interface StoreProblem {
  readonly code: string;
  /** Path relative to the store root. */
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}

export interface FsckReport {
  readonly store: string;
  readonly ok: boolean;
  readonly blobs: number;
  readonly refs: number;
  readonly problems: readonly StoreProblem[];
}

const HINTS: Record<string, string> = {
  'store/bad-layout': 'the oci-layout file must be {"imageLayoutVersion":"1.0.0"}',
  'store/bad-index': 'index.json is damaged: restore it or rebuild the images (strata build)',
  'store/corrupt-blob': "delete the blob, run 'strata gc' and rebuild or re-pull the images using it",
  'store/missing-blob': 'rebuild or re-pull the image that references it',
  'store/size-mismatch': 'rebuild or re-pull the image that references it',
  'store/temp-leftover': "a write was interrupted; 'strata gc' removes it",
  'store/stale-lock': "a strata process died holding the lock; 'strata gc' or the next write removes it",
  'store/stray-file': 'remove files that are not blobs from blobs/',
  'store/duplicate-ref': 'remove the duplicate entries from index.json or rebuild',
};

function problem(code: string, p: string, message: string): StoreProblem {
  return { code, path: p, message, hint: HINTS[code] ?? 'rebuild or re-pull the affected image' };
}

export interface FsckOptions {
  /** Temp files younger than this whose writer is alive are in-progress writes, not leftovers (default 3600). */
  readonly graceSeconds?: number;
  readonly now?: number;
}

/** Temp files no live process is writing (dead owner, or older than the grace period). */
export async function listTempLeftovers(root: string, graceSeconds: number, now: number): Promise<string[]> {
  const out: string[] = [];
  let names: string[] = [];
  try {
    names = await readdir(path.join(root, TMP_DIR));
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const pid = tempOwnerPid(n);
    let age = Infinity;
    try {
      age = (now - (await stat(path.join(root, TMP_DIR, n))).mtimeMs) / 1000;
    } catch {
      continue;
    }
    if (pid === undefined || !pidAlive(pid) || age > graceSeconds) out.push(path.join(TMP_DIR, n));
  }
  return out;
}

export async function fsckStore(root: string, opts: FsckOptions = {}): Promise<FsckReport> {
  const store = await OciStore.open(root);
  const problems: StoreProblem[] = [];
  const now = opts.now ?? Date.now();

  try {
    const layout = JSON.parse(await readFile(path.join(store.root, LAYOUT_FILE), 'utf8')) as { imageLayoutVersion?: unknown };
    if (layout.imageLayoutVersion !== OCI_LAYOUT_VERSION) problems.push(problem('store/bad-layout', LAYOUT_FILE, `imageLayoutVersion is ${JSON.stringify(layout.imageLayoutVersion)}`));
  } catch (e) {
    problems.push(problem('store/bad-layout', LAYOUT_FILE, `cannot read: ${e instanceof Error ? e.message : String(e)}`));
  }

  let refs: { ref: string | undefined; descriptor: import('../oci/types.js').Descriptor }[] = [];
  try {
    const idx = parseIndex(await readFile(path.join(store.root, INDEX_FILE)), INDEX_FILE);
    const seen = new Set<string>();
    for (const m of idx.manifests) {
      const ref = m.annotations?.[ANNOTATION_REF_NAME];
      if (ref !== undefined && seen.has(ref)) problems.push(problem('store/duplicate-ref', INDEX_FILE, `ref '${ref}' appears more than once`));
      if (ref !== undefined) seen.add(ref);
      refs.push({ ref, descriptor: m });
    }
  } catch (e) {
    refs = [];
    const msg = e instanceof StrataError ? e.message : e instanceof Error ? e.message : String(e);
    problems.push(problem('store/bad-index', INDEX_FILE, msg));
  }

  const lock = path.join(store.root, LOCK_FILE);
  try {
    const info = JSON.parse(await readFile(lock, 'utf8')) as { pid: number; host: string; token: string };
    if (isStale(info)) problems.push(problem('store/stale-lock', LOCK_FILE, `lock held by dead process ${info.pid}`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(problem('store/stale-lock', LOCK_FILE, 'unreadable lock file'));
  }

  for (const t of await listTempLeftovers(store.root, opts.graceSeconds ?? 3600, now)) {
    problems.push(problem('store/temp-leftover', t, 'temporary file left by an interrupted write'));
  }

  const blobsDir = path.join(store.root, BLOBS_DIR);
  for (const algo of (await readdir(path.join(store.root, 'blobs'))).sort()) {
    if (algo !== 'sha256') problems.push(problem('store/stray-file', path.join('blobs', algo), 'unexpected entry (strata stores sha256 blobs only)'));
  }
  const names = (await readdir(blobsDir)).sort();
  let blobs = 0;
  for (const n of names) {
    const rel = path.join(BLOBS_DIR, n);
    let d: Digest;
    try {
      d = digestFromHex(n);
    } catch {
      problems.push(problem('store/stray-file', rel, 'not a blob (name is not 64 lowercase hex digits)'));
      continue;
    }
    const st = await stat(path.join(blobsDir, n));
    if (!st.isFile()) {
      problems.push(problem('store/stray-file', rel, 'not a regular file'));
      continue;
    }
    blobs++;
    const got = await digestStream(createReadStream(path.join(blobsDir, n), { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>);
    if (got.digest !== d) problems.push(problem('store/corrupt-blob', rel, `content hashes to ${got.digest}`));
  }

  const walked = await walkReferences(store, refs);
  for (const p of walked.problems) {
    problems.push(problem(p.code, path.join(BLOBS_DIR, p.digest.slice(7)), `${p.ref !== undefined ? `image '${p.ref}': ` : ''}${p.message}`));
  }
  return { store: store.root, ok: problems.length === 0, blobs, refs: refs.length, problems };
}
