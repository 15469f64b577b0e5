/**
 * `gc`: under the index lock, remove blobs no ref reaches and temporary files no live
 * writer owns. Blobs younger than the grace period are kept even when unreferenced: a
 * concurrent build may have put them and not yet set its ref (ADR 0056).
 *
 * With `state` (the builder's directories beside the layout, ADR 0093/0138) it also
 * prunes, under `<state>/gc.lock`: scratch directories of killed builds
 * (`work/<pid>-…` whose pid is dead), interrupted layer extractions (`layers/tmp/…`),
 * extracted layers whose blob is no longer in the store and no ref reaches, and
 * interrupted cache-record writes. While a build is running (a `work/<pid>-…` whose pid
 * is alive) layer directories are left alone: the build may be stacking on them. A build
 * that starts while gc runs waits for `gc.lock` before it touches layers.
 */
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { digestFromHex, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { ANNOTATION_REF_NAME } from '../oci/types.js';
import { listTempLeftovers } from './fsck.js';
import { acquireLock, pidAlive } from './lock.js';
import { BLOBS_DIR, TMP_DIR } from './paths.js';
import { walkReferences } from './reachable.js';
import { OciStore } from './store.js';

/** The builder's working directories inside the store (the build module's StatePaths). */
export interface BuilderStateDirs {
  /** `<store>/strata`: holds `gc.lock` while gc prunes. */
  readonly root: string;
  /** Extracted layers: `<layers>/sha256/<hex>` per layer digest, `<layers>/tmp/` for extractions in progress. */
  readonly layers: string;
  /** Scratch of build processes: `<work>/<pid>-XXXXXX`. */
  readonly work: string;
  /** Cache records; `<name>.<pid>.tmp` are interrupted writes. */
  readonly cache: string;
}

export interface GcOptions {
  /** Keep unreferenced blobs and live-owned temp files younger than this (default 600 s). */
  readonly graceSeconds?: number;
  readonly dryRun?: boolean;
  readonly now?: number;
  /** Also prune the builder's state directories. */
  readonly state?: BuilderStateDirs;
}

export interface GcReport {
  readonly store: string;
  readonly removedBlobs: readonly Digest[];
  readonly removedBytes: number;
  readonly removedTemps: readonly string[];
  readonly keptYoung: number;
  /** Extracted layer directories removed (their blobs are gone and unreferenced). */
  readonly removedLayers: readonly Digest[];
  /** Scratch left by killed builds and interrupted extractions/writes, relative to the store. */
  readonly removedScratch: readonly string[];
  /** Pids of builds running on this store; layer directories were kept for them. */
  readonly activeBuilds: readonly number[];
  readonly dryRun: boolean;
}

/** The pid in a build scratch directory name `<pid>-XXXXXX`, or undefined. Pure. */
export function scratchOwnerPid(name: string): number | undefined {
  const m = /^(\d+)-[A-Za-z0-9]+$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The pid in an interrupted cache-record write `<name>.<pid>.tmp`, or undefined. Pure. */
export function recordTempOwnerPid(name: string): number | undefined {
  const m = /\.(\d+)\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function ageSeconds(p: string, now: number): Promise<number> {
  try {
    return (now - (await stat(p)).mtimeMs) / 1000;
  } catch {
    return Infinity;
  }
}

interface StatePruneResult {
  readonly removedLayers: Digest[];
  readonly removedScratch: string[];
  readonly activeBuilds: number[];
}

/**
 * Prune the builder's state (call under `gc.lock`). `blobKept(d)` says whether blob `d`
 * is still in the store after this gc (reachable, young, or not removed).
 */
async function pruneState(storeRoot: string, st: BuilderStateDirs, blobKept: (d: Digest) => boolean, grace: number, now: number, dryRun: boolean): Promise<StatePruneResult> {
  const removedLayers: Digest[] = [];
  const removedScratch: string[] = [];
  const activeBuilds: number[] = [];
  const remove = async (p: string): Promise<void> => {
    removedScratch.push(path.relative(storeRoot, p));
    if (!dryRun) await rm(p, { recursive: true, force: true });
  };
  for (const n of await entries(st.work)) {
    const p = path.join(st.work, n);
    const pid = scratchOwnerPid(n);
    if (pid !== undefined && pidAlive(pid)) activeBuilds.push(pid);
    else if (pid !== undefined || (await ageSeconds(p, now)) >= grace) await remove(p);
  }
  const idle = activeBuilds.length === 0;
  const extracting = path.join(st.layers, 'tmp');
  for (const n of await entries(extracting)) {
    const p = path.join(extracting, n);
    if (idle || (await ageSeconds(p, now)) >= grace) await remove(p);
  }
  if (idle) {
    const extracted = path.join(st.layers, 'sha256');
    for (const n of await entries(extracted)) {
      let d: Digest;
      try {
        d = digestFromHex(n);
      } catch {
        continue;
      }
      if (blobKept(d)) continue;
      removedLayers.push(d);
      if (!dryRun) await rm(path.join(extracted, n), { recursive: true, force: true });
    }
  }
  for (const n of await entries(st.cache)) {
    const pid = recordTempOwnerPid(n);
    if (pid !== undefined && !pidAlive(pid)) await remove(path.join(st.cache, n));
  }
  return { removedLayers, removedScratch, activeBuilds };
}

export async function gcStore(root: string, opts: GcOptions = {}): Promise<GcReport> {
  const store = await OciStore.open(root);
  const grace = opts.graceSeconds ?? 600;
  return store.withLock(async () => {
    const now = opts.now ?? Date.now();
    const idx = await store.readIndex();
    const walked = await walkReferences(store, idx.manifests.map((m) => ({ ref: m.annotations?.[ANNOTATION_REF_NAME], descriptor: m })));
    const broken = walked.problems.filter((p) => p.code !== 'store/missing-blob' && p.code !== 'store/size-mismatch');
    if (broken.length) {
      throw new StrataError('store/gc-refused', `cannot tell what is referenced: ${broken[0]!.message}`, {
        location: { file: store.root },
        hint: "run 'strata fsck' and repair the store first; gc deletes nothing while references are unreadable",
        kind: 'check',
      });
    }
    const removedBlobs: Digest[] = [];
    let removedBytes = 0;
    let keptYoung = 0;
    const dir = path.join(store.root, BLOBS_DIR);
    const presentBlobs = new Set<Digest>();
    for (const n of (await readdir(dir)).sort()) {
      let d: Digest;
      try {
        d = digestFromHex(n);
      } catch {
        continue;
      }
      presentBlobs.add(d);
      if (walked.reachable.has(d)) continue;
      const st = await stat(path.join(dir, n));
      if ((now - st.mtimeMs) / 1000 < grace) {
        keptYoung++;
        continue;
      }
      if (!opts.dryRun) await unlink(path.join(dir, n));
      removedBlobs.push(d);
      removedBytes += st.size;
    }
    const temps = await listTempLeftovers(store.root, grace, now);
    if (!opts.dryRun) for (const t of temps) await unlink(path.join(store.root, t)).catch(() => undefined);
    let pruned: StatePruneResult = { removedLayers: [], removedScratch: [], activeBuilds: [] };
    const st = opts.state;
    if (st && (await stat(st.root).then((x) => x.isDirectory(), () => false))) {
      const gone = new Set(removedBlobs);
      const blobKept = (d: Digest): boolean => walked.reachable.has(d) || (!gone.has(d) && presentBlobs.has(d));
      const release = await acquireLock(path.join(st.root, 'gc.lock'), { scratchDir: path.join(store.root, TMP_DIR) });
      try {
        pruned = await pruneState(store.root, st, blobKept, grace, now, opts.dryRun ?? false);
      } finally {
        await release();
      }
    }
    return { store: store.root, removedBlobs, removedBytes, removedTemps: temps, keptYoung, ...pruned, dryRun: opts.dryRun ?? false };
  });
}
