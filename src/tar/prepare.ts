/**
 * Normalise a list of TarEntry into the exact sequence the deterministic writer emits
 * (docs/reproducibility.md, "Tar"): sorted by path as UTF-8 bytes, parents present,
 * mtimes clamped to SOURCE_DATE_EPOCH, whiteouts spelled `.wh.<name>` / `.wh..wh..opq`,
 * hardlinks pointing at the first path in sorted order, no duplicates. Pure.
 */
import { StrataError } from '../errors.js';
import { compareUtf8 } from '../oci/canonical-json.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX, type PreparedEntry, type TarEntry } from './entry.js';

export interface PrepareOptions {
  readonly sourceDateEpoch: number;
  /** 'require' (default): every parent directory must be an entry. 'ignore': do not check. */
  readonly parents?: 'require' | 'ignore';
}

const MAX_ID = 0x7fffffff;

function bad(code: string, path: string, message: string, hint: string): never {
  throw new StrataError(`tar/${code}`, `${path === '' ? '(empty path)' : `'${path}'`}: ${message}`, { hint, kind: 'build' });
}

export function checkRelativePath(path: string): void {
  if (path === '') bad('bad-path', path, 'empty path', 'layer paths are relative and non-empty');
  if (path.includes('\0')) bad('bad-path', path, 'path contains NUL', 'remove NUL bytes from file names');
  if (path.startsWith('/')) bad('bad-path', path, 'absolute path', "layer paths are relative to '/', without a leading '/'");
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') {
      bad('bad-path', path, `invalid component '${part}'`, "no empty, '.' or '..' components in layer paths");
    }
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}
function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function checkInt(path: string, what: string, v: number | undefined, max: number): number {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) bad('bad-field', path, `${what} ${String(v)} out of range`, `${what} must be an integer in 0..${max}`);
  return n;
}

/** Clamp: newer than SOURCE_DATE_EPOCH becomes the epoch, older is kept (whole seconds). */
export function clampMtime(mtime: number, epoch: number): number {
  const s = Math.floor(mtime);
  return s > epoch ? epoch : s;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const;

export function prepareEntries(entries: readonly TarEntry[], opts: PrepareOptions): PreparedEntry[] {
  const epoch = opts.sourceDateEpoch;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new StrataError('tar/bad-epoch', `SOURCE_DATE_EPOCH ${epoch} must be a non-negative integer`, { hint: 'fix source_date_epoch' });
  }
  interface Item { readonly key: string; readonly e: TarEntry }
  const items: Item[] = entries.map((e) => {
    checkRelativePath(e.path);
    const base = baseOf(e.path);
    if (e.type === 'whiteout') {
      if (base.startsWith(WHITEOUT_PREFIX)) bad('reserved-name', e.path, 'cannot white out a whiteout', 'whiteouts name ordinary paths');
      const dir = parentOf(e.path);
      return { key: `${dir ? `${dir}/` : ''}${WHITEOUT_PREFIX}${base}`, e };
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      bad('reserved-name', e.path, `names starting with '${WHITEOUT_PREFIX}' are reserved for whiteouts`, "use a 'whiteout' or 'opaque' entry instead");
    }
    if (e.type === 'opaque') return { key: `${e.path}/${OPAQUE_WHITEOUT}`, e };
    return { key: e.path, e };
  });
  items.sort((a, b) => compareUtf8(a.key, b.key));

  const dirs = new Set<string>();
  const seen = new Set<string>();
  const regularByInode = new Map<string, string>();
  const regular = new Set<string>();
  const out: PreparedEntry[] = [];
  for (let i = 0; i < items.length; i++) {
    const { key, e } = items[i]!;
    if (i > 0 && items[i - 1]!.key === key) bad('duplicate', key, 'appears twice in one layer', 'each path may occur once per layer');
    const parent = parentOf(key);
    if (parent !== '' && (opts.parents ?? 'require') === 'require' && !dirs.has(parent)) {
      bad('missing-parent', key, `parent directory '${parent}' is not in the layer`, 'add an entry for every parent directory');
    }
    if (seen.has(parent) && !dirs.has(parent)) bad('parent-not-dir', key, `parent '${parent}' is not a directory`, 'a non-directory cannot contain paths');
    seen.add(key);
    if (e.type === 'whiteout' || e.type === 'opaque') {
      out.push(fixed(key, epoch));
      continue;
    }
    const mode = checkInt(key, 'mode', e.mode, 0o7777);
    const uid = checkInt(key, 'uid', e.uid, MAX_ID);
    const gid = checkInt(key, 'gid', e.gid, MAX_ID);
    if (e.mtime === undefined || !Number.isFinite(e.mtime)) bad('bad-field', key, 'missing mtime', 'give every entry an mtime');
    const mtime = clampMtime(e.mtime, epoch);
    const xattrs = Object.entries(e.xattrs ?? {})
      .map(([k, v]) => [k, v] as const)
      .sort((a, b) => compareUtf8(a[0], b[0]));
    for (const [k] of xattrs) {
      if (k.startsWith('trusted.overlay.')) bad('overlay-xattr', key, `xattr '${k}' is overlayfs-internal`, 'never copy trusted.overlay.* attributes into a layer');
      if (k === '' || k.includes('\0') || k.includes('=')) bad('bad-field', key, `invalid xattr name '${k}'`, 'xattr names are non-empty, without NUL or =');
    }
    const isDevice = e.type === 'char' || e.type === 'block';
    if (!isDevice && (e.devmajor !== undefined || e.devminor !== undefined)) {
      bad('bad-field', key, 'device numbers on a non-device', 'only char and block devices carry device numbers');
    }
    const devmajor = isDevice ? checkInt(key, 'devmajor', e.devmajor, 0o7777777) : -1;
    const devminor = isDevice ? checkInt(key, 'devminor', e.devminor, 0o7777777) : -1;
    const base = { path: key, mode, uid, gid, mtime, devmajor, devminor, xattrs };
    switch (e.type) {
      case 'dir':
        dirs.add(key);
        out.push({ ...base, name: `${key}/`, typeflag: '5', size: 0, linkname: '', content: undefined });
        break;
      case 'file': {
        const size = checkInt(key, 'size', e.size, Number.MAX_SAFE_INTEGER);
        const first = e.inode === undefined ? undefined : regularByInode.get(e.inode);
        if (first !== undefined) {
          out.push({ ...base, name: key, typeflag: '1', size: 0, linkname: first, content: undefined });
        } else {
          if (e.inode !== undefined) regularByInode.set(e.inode, key);
          if (size > 0 && !e.content) bad('bad-field', key, 'file without content', 'give a content source for non-empty files');
          regular.add(key);
          out.push({ ...base, name: key, typeflag: '0', size, linkname: '', content: e.content });
        }
        break;
      }
      case 'hardlink': {
        const target = e.linkname ?? '';
        checkRelativePath(target);
        if (!regular.has(target)) {
          bad('hardlink-order', key, `hardlink target '${target}' is not a regular file earlier in sorted order`, "give both paths the same 'inode' instead of an explicit hardlink");
        }
        out.push({ ...base, name: key, typeflag: '1', size: 0, linkname: target, content: undefined });
        break;
      }
      case 'symlink': {
        const target = e.linkname ?? '';
        if (target === '' || target.includes('\0')) bad('bad-field', key, 'symlink target is empty or contains NUL', 'give a valid symlink target');
        out.push({ ...base, name: key, typeflag: '2', size: 0, linkname: target, content: undefined });
        break;
      }
      case 'char':
      case 'block':
      case 'fifo':
        out.push({ ...base, name: key, typeflag: TYPEFLAG[e.type], size: 0, linkname: '', content: undefined });
        break;
      default:
        bad('bad-field', key, `unknown entry type '${String((e as TarEntry).type)}'`, 'use one of the TarEntryType values');
    }
  }
  return out;
}

/** Whiteouts and opaque markers: empty regular files, mode 0, owner 0:0, mtime = epoch. */
function fixed(name: string, epoch: number): PreparedEntry {
  return { name, path: name, typeflag: '0', mode: 0, uid: 0, gid: 0, mtime: epoch, size: 0, linkname: '', devmajor: -1, devminor: -1, xattrs: [], content: undefined };
}
