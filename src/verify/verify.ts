/**
 * `verifyTree`: the typed core of `strata verify`. Copies the tree to a fresh temporary
 * directory (so the tree's own digests/*.txt and store are never touched), rebuilds the
 * requested images there from scratch — new store, no cache — in a child process that
 * carries the variation plan, compares every rebuilt digest with digests/*.txt, and
 * explains each mismatch with the comparison engine against the recorded image in the
 * normal store (when it is there).
 */
import { spawn } from 'node:child_process';
import { access, chmod, copyFile, lstat, mkdir, mkdtemp, opendir, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDigest, type Digest } from '../digest/digest.js';
import { loadPlan } from '../tree/load-plan.js';
import { StrataError } from '../errors.js';
import { compareUtf8 } from '../oci/canonical-json.js';
import { defaultCacheDir } from '../source/cache.js';
import { defaultStorePath } from '../store/paths.js';
import { parseDigestsFile } from '../trust/digests-file.js';
import { compressionMismatchNote, compressionOnlyDifference, type CompressionOnly } from './compression.js';
import { diffImages } from './diff-images.js';
import { openLayoutImage } from './image-source.js';
import { errorFromResult, type RebuildRequest, type RebuildResult } from './rebuild-child.js';
import type { ImageComparison } from './types.js';
import { variationPlan, type HostFacts, type Variation, type VariationPlan } from './variation.js';

export interface VerifyOptions {
  readonly tree: string;
  /** The normal store, where recorded images are looked up to explain a mismatch. */
  readonly store?: string;
  readonly images: readonly string[];
  readonly all?: boolean;
  readonly vary?: boolean;
  /** The job count of the reference build (default 2, as `strata build`). */
  readonly jobs?: number;
  readonly allowNetwork?: boolean;
  /** Layer compression of the reference build (default gzip): the rebuild uses the same. */
  readonly layerCompression?: 'gzip' | 'zstd';
  /** The source cache the rebuild reads and fetches into (build's --cache); default $STRATA_CACHE, else <tree>/.strata/sources. */
  readonly sourceCache?: string;
  /** Environment (STRATA_CACHE, STRATA_MIRRORS, TZ, LANG, LC_ALL); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Progress lines (from the rebuild). */
  readonly onProgress?: (line: string) => void;
}

export type VerifyStatus = 'reproduced' | 'mismatch' | 'not-recorded';

export interface VerifiedImage {
  readonly image: string;
  /** `sha256:…` from digests/<stage>.txt, absent when the image has no line there. */
  readonly expected?: string;
  readonly rebuilt: string;
  readonly status: VerifyStatus;
  /** For a mismatch: the recorded image (A) against the rebuilt one (B). */
  readonly comparison?: ImageComparison;
  /**
   * Set when the recorded and rebuilt images differ only in layer compression (same files):
   * `a` the recorded compression, `b` the rebuilt one (ADR 0157). `note` says which flag to use.
   */
  readonly compression?: CompressionOnly;
  /** Why there is no comparison, what it was made against, or that only the compression differs. */
  readonly note?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly vary: boolean;
  readonly images: readonly VerifiedImage[];
  readonly variations: readonly Variation[];
}

const LONG_DIR = 'a-longer-build-directory-than-the-reference-one/to-expose-any-dependence-on-the-build-path';

/** Every `digests/<stage>.txt` of the tree: image → `sha256:…`. */
export async function readRecordedDigests(tree: string): Promise<Map<string, string>> {
  const dir = path.join(tree, 'digests');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.txt')).sort(compareUtf8);
  } catch {
    return new Map();
  }
  const out = new Map<string, string>();
  for (const n of names) {
    const file = path.join(dir, n);
    const rel = path.relative(process.cwd(), file) || file;
    for (const e of parseDigestsFile(await readFile(file, 'utf8'), rel, n.slice(0, -4))) out.set(e.image, e.digest);
  }
  return out;
}

async function onPath(tool: string, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  for (const dir of (env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    if (!dir) continue;
    try {
      await access(path.join(dir, tool), fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/** CPUs this process may run on, from /proc/self/status (else all of os.cpus()). */
async function allowedCpus(): Promise<number[]> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    if (m) {
      const out: number[] = [];
      for (const part of m[1]!.trim().split(',')) {
        const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
        for (let c = lo; c <= (hi ?? lo); c++) out.push(c);
      }
      if (out.length) return out;
    }
  } catch {
    // fall through
  }
  return os.cpus().map((_, i) => i);
}

/** Copy the tree (without .strata and .git at its root), entries created in name order or reversed. */
export async function copyTree(from: string, to: string, opts: { readonly reverse: boolean; readonly umask: number }): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(from, rel))).sort(compareUtf8);
    if (opts.reverse) names.reverse();
    for (const name of names) {
      if (rel === '' && (name === '.strata' || name === '.git')) continue;
      const src = path.join(from, rel, name);
      const dst = path.join(to, rel, name);
      const st = await lstat(src);
      if (st.isDirectory()) {
        await mkdir(dst);
        await walk(path.join(rel, name));
        await chmod(dst, st.mode & 0o7777 & ~opts.umask);
      } else if (st.isSymbolicLink()) {
        await symlink(await readlink(src), dst);
      } else if (st.isFile()) {
        await copyFile(src, dst);
        await chmod(dst, st.mode & 0o7777 & ~opts.umask);
      }
      // sockets, fifos, devices: not part of a tree
    }
  };
  await mkdir(to, { recursive: true });
  await walk('');
}

/** How a file system lists a directory (raw readdir order) relative to the order its entries were created. */
export async function probeListingOrder(dir: string): Promise<HostFacts['copyListing']> {
  const probe = await mkdtemp(path.join(dir, 'strata-verify-probe-'));
  try {
    for (const n of ['a', 'b', 'c', 'd']) await writeFile(path.join(probe, n), '');
    // fs.readdir sorts (libuv's scandir does); opendir gives the file system's raw order.
    let got = '';
    for await (const e of await opendir(probe)) got += e.name;
    return got === 'abcd' ? 'creation' : got === 'dcba' ? 'reverse-creation' : 'hashed';
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** Total bytes of regular files under `dir`, stopping once past `limit`. */
async function treeBytes(dir: string, limit: number): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (total > limit) return;
      if (e.isDirectory()) {
        if (d === dir && (e.name === '.strata' || e.name === '.git')) continue;
        await walk(path.join(d, e.name));
      } else if (e.isFile()) total += (await lstat(path.join(d, e.name))).size;
    }
  };
  await walk(dir);
  return total;
}

/** Largest tree copied to /dev/shm to get a controllable listing order. */
const SHM_TREE_LIMIT = 256 * 1024 * 1024;

/**
 * Where the tree copy goes: the temp dir, or under --vary the first of the temp dir and
 * /dev/shm whose listing order follows creation order (so the copy can reverse it).
 */
async function chooseCopyPlace(tree: string, vary: boolean): Promise<{ dir: string; listing: HostFacts['copyListing'] }> {
  const tmp = os.tmpdir();
  const tmpListing = await probeListingOrder(tmp);
  if (!vary || tmpListing !== 'hashed') return { dir: tmp, listing: tmpListing };
  const shm = '/dev/shm';
  try {
    await access(shm, fsConstants.W_OK);
    if ((await treeBytes(tree, SHM_TREE_LIMIT)) <= SHM_TREE_LIMIT) {
      const l = await probeListingOrder(shm);
      if (l !== 'hashed') return { dir: shm, listing: l };
    }
  } catch {
    // no usable /dev/shm
  }
  return { dir: tmp, listing: tmpListing };
}

async function runRebuild(plan: VariationPlan, req: RebuildRequest, requestFile: string, onProgress: ((l: string) => void) | undefined): Promise<RebuildResult> {
  await writeFile(requestFile, JSON.stringify(req));
  const child = fileURLToPath(new URL('./rebuild-child.js', import.meta.url));
  const argv = [...plan.setup.argvPrefix, process.execPath, child, requestFile];
  const env = { ...process.env, ...plan.setup.env };
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onData = (d: Buffer): void => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) onProgress?.(l);
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('error', reject);
    p.on('close', (c) => {
      if (pending) onProgress?.(pending);
      resolve(c);
    });
  });
  let text: string;
  try {
    text = await readFile(req.resultFile, 'utf8');
  } catch {
    throw new StrataError('verify/rebuild-crashed', `the rebuild process exited with ${code} without a result`, {
      hint: 'see the lines above; run strata build in a scratch copy of the tree to reproduce',
      kind: 'build',
    });
  }
  return JSON.parse(text) as RebuildResult;
}

async function explain(image: string, expected: string, rebuilt: string, storeDir: string, freshStore: string): Promise<{ comparison?: ImageComparison; compression?: CompressionOnly; note?: string }> {
  const b = await openLayoutImage(freshStore, rebuilt, `${image} (rebuilt)`, 'store');
  let a;
  let note: string | undefined;
  try {
    a = await openLayoutImage(storeDir, expected, `${image} (recorded)`, 'store');
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    try {
      a = await openLayoutImage(storeDir, image, `${image} (in the store)`, 'store');
      note = `the recorded image ${expected} is not in the store; compared with the store's current ${image} (${a.digest})`;
    } catch (e2) {
      if (!(e2 instanceof StrataError)) throw e2;
      return { note: `the recorded image is not in ${storeDir}: build it there (strata build ${image}) or pull it, then run strata diff to see why it differs` };
    }
  }
  const comparison = await diffImages(a, b);
  // same files, other layer compression: say so and name the flag (ADR 0157)
  const compression = compressionOnlyDifference(comparison);
  if (compression) note = [note, compressionMismatchNote(compression, image)].filter((n) => n !== undefined).join('; ');
  return { comparison, ...(compression ? { compression } : {}), ...(note ? { note } : {}) };
}

/** A path as the user should see it: relative to the working directory when under it. */
function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** An error of the rebuild located in the temporary copy, re-located at the user's tree. */
function atUserTree(e: StrataError, copy: string, tree: string): StrataError {
  const file = e.location?.file;
  if (file === undefined || !(file === copy || file.startsWith(copy + path.sep))) return e;
  return new StrataError(e.code, e.message.split(copy).join(tree), {
    location: { ...e.location, file: shownPath(tree + file.slice(copy.length)) },
    ...(e.hint !== undefined ? { hint: e.hint.split(copy).join(tree) } : {}),
    kind: e.kind,
    ...(e.detail ? { detail: e.detail } : {}),
  });
}

export async function verifyTree(o: VerifyOptions): Promise<VerifyReport> {
  const env = o.env ?? process.env;
  const tree = path.resolve(o.tree);
  if (o.images.length === 0 && !o.all) {
    throw new StrataError('verify/nothing-to-verify', 'no image named', { hint: "name images (e.g. 'strata verify core-zlib') or pass --all" });
  }
  // Load and plan the user's tree before copying it, so bad input is reported at the
  // user's own files (not at the temporary copy) and nothing is created for it.
  loadPlan({ tree: shownPath(tree), images: o.all ? [] : o.images });
  const recorded = await readRecordedDigests(tree);
  const storeDir = path.resolve(o.store ?? defaultStorePath(tree));
  const jobs = o.jobs ?? 2;
  const place = await chooseCopyPlace(tree, o.vary ?? false);
  const base = await mkdtemp(path.join(os.tmpdir(), 'strata-verify-'));
  const copyBase = place.dir === os.tmpdir() ? base : await mkdtemp(path.join(place.dir, 'strata-verify-'));
  try {
    const rebuildTree = o.vary ? path.join(copyBase, LONG_DIR, 'tree') : path.join(copyBase, 'tree');
    const host: HostFacts = {
      treeDir: tree,
      rebuildTreeDir: rebuildTree,
      env,
      umask: process.umask(),
      cpus: await allowedCpus(),
      jobs,
      faketime: await onPath('faketime', env),
      taskset: await onPath('taskset', env),
      readdirHook: true, // the build core lists directories in reverse on request (BuildOptions.readdirOrder)
      copyListing: place.listing,
    };
    const plan = variationPlan(host, o.vary ?? false);
    await copyTree(tree, rebuildTree, { reverse: plan.setup.reverseCopyOrder, umask: o.vary ? plan.setup.umask : 0 });
    const freshStore = path.join(base, 'store');
    const req: RebuildRequest = {
      tree: rebuildTree,
      store: freshStore,
      images: o.images,
      all: o.all ?? false,
      jobs: plan.setup.jobs,
      umask: plan.setup.umask,
      sourceCache: path.resolve(defaultCacheDir(tree, o.sourceCache, env)),
      readdirReverse: plan.setup.readdirReverse,
      allowNetwork: o.allowNetwork ?? false,
      ...(o.layerCompression === 'zstd' ? { layerCompression: 'zstd' as const } : {}),
      resultFile: path.join(base, 'result.json'),
    };
    const result = await runRebuild(plan, req, path.join(base, 'request.json'), o.onProgress);
    if (!result.ok) throw atUserTree(errorFromResult(result.error), rebuildTree, tree);
    const images: VerifiedImage[] = [];
    for (const r of [...result.images].sort((x, y) => compareUtf8(x.image, y.image))) {
      const expected = recorded.get(r.image);
      if (expected === undefined) {
        images.push({ image: r.image, rebuilt: r.digest, status: 'not-recorded', note: `no line for ${r.image} in digests/*.txt: build it with strata build and commit the digests` });
      } else if (expected === r.digest) {
        images.push({ image: r.image, expected, rebuilt: r.digest, status: 'reproduced' });
      } else {
        const why = isDigest(expected) && isDigest(r.digest) ? await explain(r.image, expected as Digest, r.digest, storeDir, freshStore) : {};
        images.push({ image: r.image, expected, rebuilt: r.digest, status: 'mismatch', ...why });
      }
    }
    return { ok: images.every((i) => i.status === 'reproduced'), vary: plan.vary, images, variations: plan.variations };
  } finally {
    await rm(base, { recursive: true, force: true });
    if (copyBase !== base) await rm(copyBase, { recursive: true, force: true });
  }
}
