/**
 * bubblewrap creates /proc and /dev as mount points when the root lacks them; in an
 * overlay root those empty directories land in the upper dir and would be captured.
 * After a run, remove each one the lower layers did not already provide, if it is
 * still an empty directory (a RUN cannot write into a mounted /proc or /dev).
 */
import { lstatSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';

export const SANDBOX_MOUNTPOINTS = ['proc', 'dev'] as const;

export function removeSandboxMountpoints(lowersBaseFirst: readonly string[], upper: string): void {
  for (const name of SANDBOX_MOUNTPOINTS) {
    if (presentInLowers(lowersBaseFirst, name)) continue;
    const p = path.join(upper, name);
    try {
      if (lstatSync(p).isDirectory() && readdirSync(p).length === 0) rmdirSync(p);
    } catch {
      // absent: nothing to remove
    }
  }
}

/** Whether the top-most lower layer that mentions `name` at its root provides it (not a whiteout). */
function presentInLowers(lowersBaseFirst: readonly string[], name: string): boolean {
  for (let i = lowersBaseFirst.length - 1; i >= 0; i--) {
    try {
      const st = lstatSync(path.join(lowersBaseFirst[i]!, name));
      const whiteout = st.isCharacterDevice() && st.rdev === 0;
      return !whiteout;
    } catch {
      continue;
    }
  }
  return false;
}
