/**
 * A cross-process lock file (ADR 0055) holding `{"pid":…,"host":…,"token":…}`. It is
 * written complete under a temp name in the scratch dir and hard-linked into place (link
 * fails when the lock exists), so nobody ever reads an empty lock being created and takes
 * it for garbage left by a crash. A lock whose owner is on this host and no longer
 * running is stale and is broken by renaming it away and checking that what was renamed
 * is the stale lock (if another process re-took the lock in between, it is linked back).
 * Locks held by another host are never broken automatically.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { writeSyncedTemp } from './atomic-file.js';

export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

export interface LockOptions {
  /** Directory for the lock's temp file and renamed stale locks (same file system). */
  readonly scratchDir: string;
  /** Give up after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
  /**
   * Names the lock's own temp file ('tmp') and a stale lock being broken ('stale');
   * default `<scratchDir>/<pid>-<hex>.lock` and `<scratchDir>/<pid>-<hex>.stale-lock`.
   */
  readonly tempPath?: (kind: 'tmp' | 'stale') => string;
  /** The error when the lock stays held past the timeout. */
  readonly heldCode?: string;
  readonly heldHint?: string;
}

function defaultTempPath(scratchDir: string): (kind: 'tmp' | 'stale') => string {
  return (kind) => path.join(scratchDir, `${process.pid}-${randomBytes(6).toString('hex')}.${kind === 'tmp' ? 'lock' : 'stale-lock'}`);
}

export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockInfo | undefined | 'garbage'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') return v;
  } catch {
    /* fall through */
  }
  return 'garbage';
}

/** A lock is stale when its owner is on this host and dead (or the file is unreadable garbage left by a crash). */
export function isStale(info: LockInfo | 'garbage'): boolean {
  return info === 'garbage' || (info.host === os.hostname() && !pidAlive(info.pid));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function breakStale(file: string, seen: LockInfo | 'garbage', moved: string): Promise<void> {
  try {
    await rename(file, moved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const got = await readLock(moved);
  const same = got === seen || (got !== undefined && got !== 'garbage' && seen !== 'garbage' && got.token === seen.token);
  if (!same) {
    // We took someone's fresh lock: put it back if the slot is still free.
    await link(moved, file).catch(() => undefined);
  }
  await unlink(moved).catch(() => undefined);
}

/** Acquire `file`; resolves to a release function. */
export async function acquireLock(file: string, opts: LockOptions): Promise<() => Promise<void>> {
  const info: LockInfo = { pid: process.pid, host: os.hostname(), token: randomBytes(12).toString('hex') };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let wait = 5;
  const tempPath = opts.tempPath ?? defaultTempPath(opts.scratchDir);
  const tmp = tempPath('tmp');
  await writeSyncedTemp(tmp, JSON.stringify(info));
  try {
    for (;;) {
      try {
        await link(tmp, file);
        return async () => {
          const cur = await readLock(file);
          if (cur !== undefined && cur !== 'garbage' && cur.token === info.token) await unlink(file);
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      await waitOrBreak(file, tempPath, deadline, opts);
      await sleep(wait);
      wait = Math.min(wait * 2, 100);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The lock is taken: break it if its holder is gone, else throw past the deadline. */
async function waitOrBreak(file: string, tempPath: (kind: 'stale') => string, deadline: number, opts: LockOptions): Promise<void> {
  const holder = await readLock(file);
  if (holder !== undefined && isStale(holder)) {
    await breakStale(file, holder, tempPath('stale'));
    return;
  }
  if (Date.now() > deadline) {
    const who = holder && holder !== 'garbage' ? `process ${holder.pid} on ${holder.host}` : 'another process';
    throw new StrataError(opts.heldCode ?? 'store/locked', `${file} is held by ${who}`, {
      location: { file },
      hint: opts.heldHint ?? 'wait for the other strata process to finish; if none is running, delete the lock file',
      kind: 'build',
    });
  }
}
