/**
 * Where the builder keeps its working state: beside the OCI layout, in `<store>/strata/`
 * (ADR 0093). Nothing here is part of the layout; deleting it only costs time.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';

export interface StatePaths {
  readonly root: string;
  /** Extracted layers, one directory per layer digest (overlayfs format). */
  readonly layers: string;
  /** Cache key → manifest digest records. */
  readonly cache: string;
  /** One build log per image. */
  readonly logs: string;
  /** Upper/work directories of running steps. */
  readonly work: string;
  /** Roots kept by --keep-failed. */
  readonly failed: string;
}

export function statePaths(storeRoot: string): StatePaths {
  const root = path.join(path.resolve(storeRoot), 'strata');
  return {
    root,
    layers: path.join(root, 'layers'),
    cache: path.join(root, 'cache'),
    logs: path.join(root, 'logs'),
    work: path.join(root, 'work'),
    failed: path.join(root, 'failed'),
  };
}

/**
 * A build process's own scratch directory, `<state>/work/<pid>-XXXXXX` (ADR 0138): every
 * upper/work/context directory of the process lives under it, so `strata gc` can tell a
 * running build's scratch from a killed build's by the pid in the name.
 */
export function claimWorkDir(state: StatePaths): StatePaths {
  mkdirSync(state.work, { recursive: true });
  return { ...state, work: mkdtempSync(path.join(state.work, `${process.pid}-`)) };
}
