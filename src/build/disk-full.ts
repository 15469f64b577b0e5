/**
 * A full disk (ENOSPC) or exhausted quota (EDQUOT) while building becomes one clear
 * `build/disk-full` error (exit 1) naming the store, instead of an internal error. The
 * store stays consistent because nothing is referenced before all its blobs are in.
 */
import { statfsSync } from 'node:fs';
import { StrataError } from '../errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** The errno code of `e` or of any error in its `cause` chain. */
function errnoCode(e: unknown, depth = 0): string | undefined {
  if (depth > 8 || typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && FULL.has(code)) return code;
  return errnoCode((e as { cause?: unknown }).cause, depth + 1);
}

/** `build/disk-full` for an out-of-space error, else undefined. */
export function asDiskFull(e: unknown, storeRoot: string, image: string): StrataError | undefined {
  if (e instanceof StrataError && e.code === 'build/disk-full') return e;
  const code = errnoCode(e);
  if (!code) return undefined;
  const what = code === 'EDQUOT' ? 'the disk quota is exhausted' : 'no space left on the device';
  return new StrataError('build/disk-full', `building ${image}: ${what} holding the store`, {
    location: { file: storeRoot },
    hint: "free space (or run 'strata gc'), then build again; nothing partial was referenced",
    kind: 'build',
    cause: e,
  });
}

/** Less than 64 KiB (or 16 inodes) left for unprivileged writers on the file system holding `dir`. */
export function nearlyFull(dir: string): boolean {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize < 64 * 1024 || (st.files > 0 && st.ffree < 16);
  } catch {
    return false;
  }
}
