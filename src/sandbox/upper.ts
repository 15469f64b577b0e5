/**
 * Read an overlayfs upper directory into a layer's change list (ADR 0072).
 *
 * Whiteouts (char 0/0, or a file marked trusted.overlay.whiteout inside a directory
 * marked trusted.overlay.opaque=x) become `.wh.<name>` entries; opaque directories
 * (trusted.overlay.opaque=y) gain a `.wh..wh..opq` entry; a redirect or metacopy
 * attribute is an error (the overlay is mounted without them, so one means the upper
 * dir was made some other way); no trusted.overlay.* attribute is passed on. Regular
 * files with several links are grouped by inode: the first path in sorted order is the
 * file, the others point at it.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { readXattrs } from './native.js';
import type { FsEntry, FsEntryKind } from './types.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';

export interface ReadUpperOptions {
  /** Allow char/block device nodes other than whiteouts (default false: an error). */
  readonly allowDevices?: boolean;
  /** Which extended attributes to keep; default: security.capability and user.* (not user.overlay.*). */
  readonly keepXattr?: (name: string) => boolean;
}

export function defaultKeepXattr(name: string): boolean {
  return name === 'security.capability' || (name.startsWith('user.') && !name.startsWith('user.overlay.'));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Pending {
  entry: Mutable<FsEntry>;
  key: Buffer;
  inode?: string;
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fail(code: string, message: string, file: string, hint: string): StrataError {
  return new StrataError(code, message, { kind: 'build', location: { file }, hint });
}

/** Walk `upperDir` and return its entries sorted by whole path as UTF-8 bytes. */
export function readUpper(upperDir: string, options: ReadUpperOptions = {}): FsEntry[] {
  const keep = options.keepXattr ?? defaultKeepXattr;
  const out: Pending[] = [];

  const walk = (dirAbs: string, dirRel: string, xwhiteouts: boolean): void => {
    const names = readdirSync(dirAbs, { encoding: 'buffer' });
    for (const raw of names) {
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        throw fail('sandbox/non-utf8-name', `a file name in the layer is not valid UTF-8`, path.join(dirAbs, raw.toString('latin1')), 'rename the file to a UTF-8 name in the RUN');
      }
      const abs = path.join(dirAbs, name);
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      if (name.startsWith(WHITEOUT_PREFIX)) {
        throw fail('sandbox/reserved-name', `'${rel}' uses the reserved whiteout prefix '.wh.'`, abs, 'rename or delete it in the RUN');
      }
      const st = lstatSync(abs, { bigint: true });
      const attrs = readXattrs(abs);
      const overlay = new Map<string, Buffer>();
      const kept: Array<[string, Buffer]> = [];
      for (const [k, v] of attrs) {
        if (k.startsWith(OVERLAY_XATTR_PREFIX)) overlay.set(k.slice(OVERLAY_XATTR_PREFIX.length), v);
        else if (keep(k)) kept.push([k, v]);
      }
      if (overlay.has('redirect')) {
        throw fail('sandbox/overlay-redirect', `'${rel}' carries an overlayfs redirect`, abs, 'mount overlays with redirect_dir=off (strata does); rebuild the stage');
      }
      if (overlay.has('metacopy')) {
        throw fail('sandbox/overlay-metacopy', `'${rel}' is an overlayfs metacopy without data`, abs, 'mount overlays with metacopy=off (strata does); rebuild the stage');
      }
      const mtime = Math.floor(Number(st.mtimeNs / 1000n) / 1e6);
      const base = {
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        size: 0,
        mtime,
        ...(kept.length ? { xattrs: kept } : {}),
      };
      const push = (entry: Mutable<FsEntry>, inode?: string) => {
        out.push({ entry, key: Buffer.from(entry.path, 'utf8'), ...(inode ? { inode } : {}) });
      };
      const whiteoutPath = dirRel === '' ? `${WHITEOUT_PREFIX}${name}` : `${dirRel}/${WHITEOUT_PREFIX}${name}`;
      const whiteout = () => push({ path: whiteoutPath, kind: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtime });

      if (st.isCharacterDevice() && st.rdev === 0n) {
        whiteout();
      } else if (st.isFile()) {
        if (xwhiteouts && overlay.has('whiteout')) {
          whiteout();
          continue;
        }
        const inode = st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
        push({ ...base, path: rel, kind: 'file', size: Number(st.size), sourcePath: abs }, inode);
      } else if (st.isDirectory()) {
        push({ ...base, path: rel, kind: 'dir' });
        const opaque = overlay.get('opaque')?.toString('latin1');
        if (opaque === 'y') {
          push({ path: `${rel}/${OPAQUE_MARKER}`, kind: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime });
        }
        walk(abs, rel, opaque === 'x');
      } else if (st.isSymbolicLink()) {
        const target = readlinkSync(abs, { encoding: 'buffer' });
        let linkTarget: string;
        try {
          linkTarget = utf8.decode(target);
        } catch {
          throw fail('sandbox/non-utf8-name', `the target of symlink '${rel}' is not valid UTF-8`, abs, 'use a UTF-8 link target');
        }
        push({ ...base, path: rel, kind: 'symlink', linkTarget });
      } else if (st.isFIFO()) {
        push({ ...base, path: rel, kind: 'fifo' });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        if (!options.allowDevices) {
          throw fail('sandbox/device-in-layer', `'${rel}' is a device node`, abs, 'device nodes are not allowed in layers; remove it in the RUN');
        }
        const rdev = Number(st.rdev);
        const kind: FsEntryKind = st.isCharacterDevice() ? 'char' : 'block';
        push({ ...base, path: rel, kind, devMajor: major(rdev), devMinor: minor(rdev) });
      }
      // Sockets cannot be represented in a tar layer and are left out (ADR 0072).
    }
  };
  walk(upperDir, '', false);

  out.sort((a, b) => Buffer.compare(a.key, b.key));
  const groups = new Map<string, { first: string; id: number }>();
  let nextGroup = 0;
  for (const p of out) {
    if (p.inode === undefined) continue;
    const g = groups.get(p.inode);
    if (!g) {
      groups.set(p.inode, { first: p.entry.path, id: nextGroup });
      p.entry.hardlinkGroup = nextGroup++;
    } else {
      p.entry.kind = 'hardlink';
      p.entry.linkTarget = g.first;
      p.entry.hardlinkGroup = g.id;
      p.entry.size = 0;
      delete p.entry.sourcePath;
    }
  }
  return out.map((p) => p.entry);
}

/** Linux's encoding of dev_t (glibc gnu_dev_major/minor). */
function major(dev: number): number {
  return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & 0xfffff000);
}
function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

