/**
 * `gc`: under the index lock, remove blobs no ref reaches and temporary files no live
 * writer owns. Blobs younger than the grace period are kept even when unreferenced: a
 * concurrent build may have put them and not yet set its ref (ADR 0056).
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { digestFromHex, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { ANNOTATION_REF_NAME } from '../oci/types.js';
import { listTempLeftovers } from './fsck.js';
import { BLOBS_DIR } from './paths.js';
import { walkReferences } from './reachable.js';
import { OciStore } from './store.js';

export interface GcOptions {
  /** Keep unreferenced blobs and live-owned temp files younger than this (default 600 s). */
  readonly graceSeconds?: number;
  readonly dryRun?: boolean;
  readonly now?: number;
}

export interface GcReport {
  readonly store: string;
  readonly removedBlobs: readonly Digest[];
  readonly removedBytes: number;
  readonly removedTemps: readonly string[];
  readonly keptYoung: number;
  readonly dryRun: boolean;
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
    for (const n of (await readdir(dir)).sort()) {
      let d: Digest;
      try {
        d = digestFromHex(n);
      } catch {
        continue;
      }
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
    return { store: store.root, removedBlobs, removedBytes, removedTemps: temps, keptYoung, dryRun: opts.dryRun ?? false };
  });
}
