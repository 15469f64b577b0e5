/**
 * Pure planning of the overlay mounts for one RUN (ADR 0071).
 *
 * mount(2) takes the option string in one page, so absolute layer paths run out after a
 * few dozen layers. The plan therefore names every layer by a short symlink in a
 * per-run scratch directory ("0", "1", …) and mounts from inside it with relative
 * paths: 500 layers (the kernel's overlay limit) fit in under 2 KiB. Beyond one mount's
 * limit, the base-most layers are first mounted as a read-only overlay and that mount
 * becomes the bottom lower layer of the final one; this is correct only for the
 * bottom-most group (whiteouts inside it are applied there and have nothing below them
 * to delete), so the plan never groups any other layers, and the maximum is 2·limit−1.
 */
import { StrataError } from '../errors.js';

/** overlayfs refuses more lower layers than this (OVL_MAX_STACK). */
export const KERNEL_MAX_LOWERS = 500;
/** Leave room below one page (4096 bytes, including the NUL) for the option string. */
export const MAX_OPTION_BYTES = 4000;
/** Never set redirect or metacopy xattrs, never keep an index (ADR 0071). */
export const FIXED_OPTIONS = 'index=off,metacopy=off,redirect_dir=off,xino=off';

export interface OverlayMountPlan {
  /** Symlinks to create in the scratch directory: name → absolute target. */
  readonly links: ReadonlyArray<{ readonly name: string; readonly target: string }>;
  /** Empty directories to create in the scratch directory (mount points, empty lower). */
  readonly dirs: readonly string[];
  /** Mounts to perform in order, from inside the scratch directory. */
  readonly mounts: ReadonlyArray<{ readonly target: string; readonly options: string }>;
  /** Scratch-relative path of the final merged root. */
  readonly merged: string;
}

export interface OverlayPlanInput {
  /** Extracted layer dirs, base first. */
  readonly lowers: readonly string[];
  readonly upper: string;
  readonly work: string;
  readonly maxLowersPerMount?: number;
}

export function planOverlayMounts(input: OverlayPlanInput): OverlayMountPlan {
  const max = input.maxLowersPerMount ?? KERNEL_MAX_LOWERS;
  if (!Number.isInteger(max) || max < 2 || max > KERNEL_MAX_LOWERS) {
    throw new StrataError('sandbox/bad-spec', `maxLowersPerMount must be an integer in 2..${KERNEL_MAX_LOWERS}, got ${max}`, {
      hint: 'leave it unset to use the kernel limit',
    });
  }
  const links: Array<{ name: string; target: string }> = [
    { name: 'u', target: input.upper },
    { name: 'w', target: input.work },
  ];
  const dirs: string[] = ['m'];
  const mounts: Array<{ target: string; options: string }> = [];

  let lowers = input.lowers.map((target, i) => {
    const name = String(i);
    links.push({ name, target });
    return name;
  });
  if (lowers.length === 0) {
    // FROM scratch: overlayfs needs at least one lower layer.
    dirs.push('e');
    lowers = ['e'];
  }
  if (lowers.length > 2 * max - 1) {
    throw new StrataError(
      'sandbox/too-many-layers',
      `${lowers.length} layers cannot be mounted (at most ${2 * max - 1} with ${max} per overlay mount)`,
      { kind: 'build', hint: 'squash some of the base image layers into one' },
    );
  }
  if (lowers.length > max) {
    const bottomCount = lowers.length - (max - 1);
    const bottom = lowers.slice(0, bottomCount);
    dirs.push('b');
    mounts.push({ target: 'b', options: `lowerdir=${topFirst(bottom)},${FIXED_OPTIONS}` });
    lowers = ['b', ...lowers.slice(bottomCount)];
  }
  mounts.push({ target: 'm', options: `lowerdir=${topFirst(lowers)},upperdir=u,workdir=w,${FIXED_OPTIONS}` });
  for (const m of mounts) {
    if (Buffer.byteLength(m.options) > MAX_OPTION_BYTES) {
      throw new StrataError('sandbox/too-many-layers', `overlay option string of ${m.options.length} bytes exceeds one page`, {
        kind: 'build',
        hint: 'lower maxLowersPerMount',
      });
    }
  }
  return { links, dirs, mounts, merged: 'm' };
}

/** overlayfs lists lower layers top first, OCI manifests base first. */
function topFirst(baseFirst: readonly string[]): string {
  return [...baseFirst].reverse().join(':');
}
