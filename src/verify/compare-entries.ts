/**
 * Entry-by-entry comparison of two layers whose tar streams differ, over already-read
 * entry lists (layer-index.ts does the reading). Pure.
 */
import { compareUtf8 } from '../oci/canonical-json.js';
import type { ChangedField, EntrySummary, FieldChange, LayerIndex, PathDifference } from './types.js';

/** At most this many path differences are listed per layer; the rest are counted. */
export const MAX_PATHS_PER_LAYER = 200;

export interface EntryComparison {
  /** Sorted by path (UTF-8 order), capped at MAX_PATHS_PER_LAYER. */
  readonly paths: PathDifference[];
  readonly omittedPaths: number;
  /** First position at which the entries both layers have come in a different order. */
  readonly order?: { readonly position: number; readonly a: string; readonly b: string };
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function showRecord(r: Readonly<Record<string, string>>): string {
  const keys = Object.keys(r).sort(compareUtf8);
  return keys.length ? keys.map((k) => `${k}=${r[k]}`).join(', ') : '(none)';
}

/** The fields in which two entries of the same path differ, in a fixed order. */
export function entryChanges(a: EntrySummary, b: EntrySummary): FieldChange[] {
  const out: FieldChange[] = [];
  const add = (field: ChangedField, x: string, y: string): void => {
    if (x !== y) out.push({ field, a: x, b: y });
  };
  add('type', a.type, b.type);
  if (a.type === 'file' && b.type === 'file') {
    add('content', a.sha256 ?? '', b.sha256 ?? '');
    add('size', String(a.size), String(b.size));
  }
  add('mode', octal(a.mode), octal(b.mode));
  add('uid', String(a.uid), String(b.uid));
  add('gid', String(a.gid), String(b.gid));
  add('uname', a.uname, b.uname);
  add('gname', a.gname, b.gname);
  add('mtime', String(a.mtime), String(b.mtime));
  add('link-target', a.linkname, b.linkname);
  if (a.type === 'char' || a.type === 'block' || b.type === 'char' || b.type === 'block') {
    add('device', `${a.devmajor},${a.devminor}`, `${b.devmajor},${b.devminor}`);
  }
  add('xattrs', showRecord(a.xattrs), showRecord(b.xattrs));
  add('pax', showRecord(a.pax), showRecord(b.pax));
  return out;
}

/** Compare two layers' entries path by path, and their order. */
export function compareEntries(a: LayerIndex, b: LayerIndex, maxPaths = MAX_PATHS_PER_LAYER): EntryComparison {
  const byPathA = new Map(a.entries.map((e) => [e.path, e]));
  const byPathB = new Map(b.entries.map((e) => [e.path, e]));
  const all = [...new Set([...byPathA.keys(), ...byPathB.keys()])].sort(compareUtf8);
  const diffs: PathDifference[] = [];
  for (const p of all) {
    const ea = byPathA.get(p);
    const eb = byPathB.get(p);
    if (ea && !eb) diffs.push({ path: p, status: 'only-a', typeA: ea.type, changes: [] });
    else if (!ea && eb) diffs.push({ path: p, status: 'only-b', typeB: eb.type, changes: [] });
    else if (ea && eb) {
      const changes = entryChanges(ea, eb);
      if (changes.length) diffs.push({ path: p, status: 'changed', typeA: ea.type, typeB: eb.type, changes });
    }
  }
  const order = firstOrderDifference(a, b, byPathA, byPathB);
  return {
    paths: diffs.slice(0, maxPaths),
    omittedPaths: Math.max(0, diffs.length - maxPaths),
    ...(order ? { order } : {}),
  };
}

function firstOrderDifference(
  a: LayerIndex,
  b: LayerIndex,
  inA: ReadonlyMap<string, EntrySummary>,
  inB: ReadonlyMap<string, EntrySummary>,
): EntryComparison['order'] {
  const seqA = a.entries.map((e) => e.path).filter((p) => inB.has(p));
  const seqB = b.entries.map((e) => e.path).filter((p) => inA.has(p));
  for (let i = 0; i < Math.min(seqA.length, seqB.length); i++) {
    if (seqA[i] !== seqB[i]) return { position: i, a: seqA[i]!, b: seqB[i]! };
  }
  return undefined;
}

/**
 * The paths whose content differs and that are small text files on both sides: the ones
 * worth a line diff. At most `max`, in path order.
 */
export function textDiffCandidates(paths: readonly PathDifference[], a: LayerIndex, b: LayerIndex, max: number): string[] {
  const byPathA = new Map(a.entries.map((e) => [e.path, e]));
  const byPathB = new Map(b.entries.map((e) => [e.path, e]));
  const out: string[] = [];
  for (const d of paths) {
    if (out.length >= max) break;
    if (d.status !== 'changed' || !d.changes.some((c) => c.field === 'content')) continue;
    if (byPathA.get(d.path)?.text && byPathB.get(d.path)?.text) out.push(d.path);
  }
  return out;
}
