/**
 * The two native pieces of the sandbox (built by node-gyp from native/, see ADR 0070):
 * the xattr addon and the static `strata-exec` helper that applies USER and umask
 * inside bubblewrap.
 */
import { chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { NATIVE_RELEASE_DIR, nativeAddonLoader } from '../tar/native-addon.js';

export interface XattrAddon {
  /** Every extended attribute of `path` (symlinks not followed), unsorted. */
  xattrs(path: string): Array<[string, Buffer]>;
  /** Set one extended attribute (symlinks not followed). */
  setXattr(path: string, name: string, value: Buffer): void;
  /** mknod(2); mode is permission bits only. */
  makeNode(path: string, type: 'char' | 'block' | 'fifo', mode: number, major: number, minor: number): void;
}

const MISSING_CODE = 'sandbox/native-missing';
const MISSING_HINT = "run 'npm run build:native' (needs python3, make and a C compiler with static glibc)";

/** The xattr addon, loaded on the first call (sandbox/native-missing when it is not built). */
export const xattrAddon: () => XattrAddon = nativeAddonLoader<XattrAddon>({
  file: 'strata_xattr.node',
  what: 'the native xattr addon',
  missingCode: MISSING_CODE,
  missingHint: MISSING_HINT,
  missingKind: 'io',
});

/** Absolute path of the static strata-exec helper. */
export function execHelperPath(): string {
  const file = path.join(NATIVE_RELEASE_DIR, 'strata-exec');
  if (!existsSync(file)) {
    throw new StrataError(MISSING_CODE, `the native strata-exec helper is not built (looked in ${NATIVE_RELEASE_DIR})`, { kind: 'io', hint: MISSING_HINT });
  }
  return file;
}

/** Read a path's xattrs as a name-sorted list. */
export function readXattrs(p: string): Array<[string, Buffer]> {
  return xattrAddon()
    .xattrs(p)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function setXattr(p: string, name: string, value: Buffer): void {
  xattrAddon().setXattr(p, name, value);
}

/** Create a device node or FIFO (Node's fs has no mknod). */
export function makeNode(p: string, type: 'char' | 'block' | 'fifo', mode: number, major = 0, minor = 0): void {
  xattrAddon().makeNode(p, type, mode, major, minor);
  chmodSync(p, mode); // mknod applies the process umask; the caller asked for exactly `mode`
}

/** An overlayfs whiteout: the character device 0/0. */
export function makeWhiteout(p: string): void {
  makeNode(p, 'char', 0, 0, 0);
}

/** Mark an extracted directory as opaque for overlayfs (the `.wh..wh..opq` marker of a layer tar). */
export function markOpaque(dir: string): void {
  setXattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
}
