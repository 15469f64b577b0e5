/**
 * Where the builder keeps its working state: beside the OCI layout, in `<store>/strata/`
 * (ADR 0093). Nothing here is part of the layout; deleting it only costs time.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { StrataError } from '../errors.js';
import { isStale, type LockInfo } from '../store/lock.js';
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
 * running build's scratch from a killed build's by the pid in the name. Once claimed, the
 * process waits for a running `strata gc` (holding `<state>/gc.lock`) to finish: gc
 * either saw the claim and keeps the layer cache, or the build waits until it is done.
 */
export async function claimWorkDir(state: StatePaths, timeoutMs = 600_000): Promise<StatePaths> {
  mkdirSync(state.work, { recursive: true });
  const work = mkdtempSync(path.join(state.work, `${process.pid}-`));
  try {
    await waitForGc(gcLockPath(state), timeoutMs);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return { ...state, work };
}

/** The lock `strata gc` holds while it prunes the builder state. */
export function gcLockPath(state: StatePaths): string {
  return path.join(state.root, 'gc.lock');
}

async function waitForGc(lock: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string;
    let age: number;
    try {
      text = readFileSync(lock, 'utf8');
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      return;
    }
    let holder: LockInfo | 'garbage' = 'garbage';
    try {
      holder = JSON.parse(text) as LockInfo;
    } catch {
      /* a lock being written, or left by a crash */
    }
    // an unreadable lock younger than 5 s is being written by a gc that is starting
    if (holder === 'garbage' ? age > 5000 : isStale(holder)) return;
    if (Date.now() > deadline) {
      throw new StrataError('build/gc-running', `'strata gc' has been pruning this store for over ${Math.round(timeoutMs / 1000)} s`, {
        location: { file: lock },
        hint: 'wait for it to finish; if no strata gc is running, delete the lock file',
        kind: 'build',
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
