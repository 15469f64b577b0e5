/**
 * Safe extraction of an untrusted tar stream into a directory (layers, ADD of local
 * archives). Guarantees (ADR 0053):
 * - no entry is written outside `root`: absolute names and '..' components are refused;
 * - no symlink is ever followed: a parent component that is a symlink (from this archive
 *   or already in root) is refused, files are created with O_EXCL|O_NOFOLLOW (after
 *   unlinking whatever was there), so a symlink planted earlier cannot redirect a write;
 * - hardlinks must point inside root, at a non-directory reached without symlinks;
 * - a directory is never replaced by a non-directory.
 * On error the destination may hold the entries extracted so far: callers extract into a
 * directory they discard on failure (the store never sees it).
 *
 * Speed (ADR 0152): file system calls are synchronous — one entry costs a handful of
 * syscalls and no promise/thread-pool round trips, while the decompressor (zlib's thread
 * pool or a child process) keeps inflating the next chunks in parallel. A directory
 * checked or created once is remembered (with all its ancestors), so an entry's parents
 * are validated once per directory, not once per entry.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync,
  readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { StrataError } from '../errors.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './entry.js';
import { readTar, type ByteSource, type TarHeader } from './reader.js';

export type WhiteoutHandler = (relPath: string, kind: 'whiteout' | 'opaque') => Promise<void>;

export interface ExtractOptions {
  /** Name of the archive in error messages. */
  readonly label?: string;
  /**
   * 'reject' (default): `.wh.` entries are an error. 'apply': delete the named path / the
   * directory's previous contents (flattening layers in order). A function: called
   * instead (e.g. to make overlayfs whiteouts).
   */
  readonly whiteouts?: 'reject' | 'apply' | WhiteoutHandler;
  /** 'keep': lchown to the archive's numeric uid/gid (needs root). 'ignore' (default). */
  readonly owners?: 'keep' | 'ignore';
  /** 'reject' (default), 'skip', or 'create' (mknod, needs root). */
  readonly devices?: 'reject' | 'skip' | 'create';
  /** 'create' (default) or 'reject' (tar/special-file): FIFO entries. */
  readonly fifos?: 'create' | 'reject';
  /**
   * 'apply' (default): an entry for the root itself ('.', './') sets the root's owner,
   * mode and mtime. 'skip': the root is left as it is; the entry is only reported in
   * ExtractResult.rootHeader (the caller decides, e.g. ADD into an existing directory).
   */
  readonly rootMeta?: 'apply' | 'skip';
  /**
   * Called (and awaited when it returns a promise) for every entry written — not for
   * whiteouts or skipped devices — with its safe relative path, the reader's header and the
   * absolute path: after the entry's owner, mode and mtime are set (a directory's are set
   * at the end: its call comes when it is created). Also for a root entry (rel ''), in
   * either rootMeta mode. Extraction itself restores no extended attributes; this hook
   * is where a caller does (ADD, ADR 0172).
   */
  readonly onEntry?: (rel: string, header: TarHeader, abs: string) => void | Promise<void>;
}

export interface ExtractResult {
  readonly entries: number;
  readonly files: number;
  readonly bytes: number;
  /** The archive's last entry for the root directory itself, if it had one. */
  readonly rootHeader?: TarHeader;
}

function refuse(code: string, label: string, name: string, message: string, hint: string): never {
  throw new StrataError(`tar/${code}`, `${label}: entry '${name}': ${message}`, { hint, kind: 'input' });
}

/**
 * Normalise an archive member name to a relative path ('' for the root itself) or throw:
 * absolute → tar/absolute-path, '..' → tar/parent-escape, NUL → tar/bad-path.
 */
export function safeEntryPath(name: string, label = 'archive'): string {
  if (name.includes('\0')) refuse('bad-path', label, name, 'name contains NUL', 'the archive is malformed');
  if (name.startsWith('/')) refuse('absolute-path', label, name, 'absolute path', 'archives must contain relative paths only; repack it');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse('parent-escape', label, name, "'..' would leave the destination", "archives must not contain '..' components; repack it");
  return parts.join('/');
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Write all of `data` at the file position (a short write is continued, never dropped). */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

export async function extractTar(src: ByteSource, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const label = opts.label ?? 'archive';
  /**
   * Directories known to be real directories (not symlinks) reached from root without a
   * symlink; invariant: every ancestor of a member is a member.
   */
  const realDirs = new Set<string>(['']);
  const extracted = new Set<string>();
  const dirMeta: { rel: string; h: TarHeader }[] = [];
  const keepOwners = opts.owners === 'keep';
  const onEntry = opts.onEntry;
  let rootHeader: TarHeader | undefined;
  let entries = 0;
  let files = 0;
  let bytes = 0;

  const abs = (rel: string): string => (rel === '' ? root : `${root}/${rel}`);

  function ensureParents(rel: string, name: string, create: boolean): void {
    const parent = parentOf(rel);
    if (realDirs.has(parent)) return;
    const parts = parent.split('/');
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (realDirs.has(cur)) continue;
      const st = lstatSync(abs(cur), { throwIfNoEntry: false });
      if (!st) {
        if (!create) {
          const e = new Error(`no such directory '${cur}'`) as NodeJS.ErrnoException;
          e.code = 'ENOENT';
          throw e;
        }
        mkdirSync(abs(cur), { mode: 0o755 });
        realDirs.add(cur);
        continue;
      }
      if (st.isSymbolicLink()) refuse('through-symlink', label, name, `'${cur}' is a symlink; extraction never follows symlinks`, 'the archive tries to write through a symlink; repack it without that');
      if (!st.isDirectory()) refuse('parent-not-dir', label, name, `'${cur}' is not a directory`, 'the archive is inconsistent');
      realDirs.add(cur);
    }
  }

  /** Remove what is at rel (a non-directory), or refuse to replace a directory. Returns true when a directory is there. */
  function clearSlot(rel: string, name: string, wantDir: boolean): boolean {
    const st = lstatSync(abs(rel), { throwIfNoEntry: false });
    if (!st) return false;
    if (st.isDirectory()) {
      if (wantDir) return true;
      refuse('replace-directory', label, name, 'would replace a directory with a non-directory', 'the archive is inconsistent');
    }
    unlinkSync(abs(rel));
    return false;
  }

  /**
   * Run `make` (which creates rel); if rel exists, clear it first (never a directory) and
   * retry once. With `wantDir` an existing directory is kept as it is (no retry).
   */
  function create(rel: string, name: string, make: () => void, wantDir = false): void {
    try {
      make();
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      if (!clearSlot(rel, name, wantDir)) make();
    }
  }

  function forgetDirsUnder(rel: string): void {
    for (const d of realDirs) if (d === rel || d.startsWith(`${rel}/`)) realDirs.delete(d);
  }

  async function applyWhiteout(rel: string, name: string, kind: 'whiteout' | 'opaque'): Promise<void> {
    const mode = opts.whiteouts ?? 'reject';
    if (mode === 'reject') refuse('whiteout', label, name, 'whiteout entries are not allowed here', 'only image layers may contain .wh. entries');
    if (typeof mode === 'function') return mode(rel, kind);
    if (kind === 'whiteout') {
      if (!extracted.has(rel)) {
        rmSync(abs(rel), { recursive: true, force: true });
        forgetDirsUnder(rel);
      }
      return;
    }
    let names: string[] = [];
    try {
      names = readdirSync(abs(rel));
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
    for (const n of names) {
      const child = rel ? `${rel}/${n}` : n;
      if (extracted.has(child)) continue;
      rmSync(abs(child), { recursive: true, force: true });
      forgetDirsUnder(child);
    }
  }

  for await (const { header: h, body, wholeBody } of readTar(src, label)) {
    entries++;
    const rel = safeEntryPath(h.name, label);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = parentOf(rel);
      ensureParents(rel, h.name, true);
      if (base === OPAQUE_WHITEOUT) await applyWhiteout(dir, h.name, 'opaque');
      else {
        const target = base.slice(WHITEOUT_PREFIX.length);
        if (target === '' || target === '.' || target === '..') refuse('bad-path', label, h.name, 'invalid whiteout name', 'the archive is malformed');
        await applyWhiteout(dir ? `${dir}/${target}` : target, h.name, 'whiteout');
      }
      continue;
    }
    if (rel === '') {
      if (h.kind !== 'dir') refuse('bad-path', label, h.name, 'the root must be a directory', 'the archive is malformed');
      rootHeader = h;
      if ((opts.rootMeta ?? 'apply') === 'apply') dirMeta.push({ rel, h });
      if (onEntry) {
        const r = onEntry('', h, root);
        if (r) await r;
      }
      continue;
    }
    ensureParents(rel, h.name, true);
    const p = abs(rel);
    switch (h.kind) {
      case 'dir': {
        if (!realDirs.has(rel)) {
          create(rel, h.name, () => mkdirSync(p, { mode: 0o700 }), true);
          realDirs.add(rel);
        }
        dirMeta.push({ rel, h });
        break;
      }
      case 'file': {
        let fd = -1;
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
        create(rel, h.name, () => void (fd = openSync(p, flags, 0o600)));
        try {
          const whole = wholeBody();
          if (whole) {
            writeAll(fd, whole);
            bytes += whole.length;
          } else {
            for await (const c of body) {
              writeAll(fd, c);
              bytes += c.length;
            }
          }
          if (keepOwners) fchownSync(fd, h.uid, h.gid);
          fchmodSync(fd, h.mode);
          futimesSync(fd, h.mtime, h.mtime);
        } finally {
          closeSync(fd);
        }
        files++;
        break;
      }
      case 'symlink':
        create(rel, h.name, () => symlinkSync(h.linkname, p));
        if (keepOwners) lchownSync(p, h.uid, h.gid);
        lutimesSync(p, h.mtime, h.mtime);
        break;
      case 'hardlink': {
        if (h.linkname.startsWith('/')) refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' is absolute`, 'hardlinks must point inside the archive');
        const target = safeEntryPath(h.linkname, label);
        if (target === '') refuse('hardlink-escape', label, h.name, 'hardlink to the root', 'the archive is malformed');
        if (target === rel) refuse('hardlink-escape', label, h.name, 'hardlink to itself', 'the archive is malformed');
        try {
          ensureParents(target, h.name, false);
        } catch (e) {
          if (e instanceof StrataError) throw e;
          refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' does not exist`, 'hardlinks must point at an earlier entry');
        }
        const tst = lstatSync(abs(target), { throwIfNoEntry: false });
        if (!tst) refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' does not exist`, 'hardlinks must point at an earlier entry');
        if (tst.isDirectory()) refuse('hardlink-escape', label, h.name, 'hardlink to a directory', 'the archive is malformed');
        create(rel, h.name, () => linkSync(abs(target), p));
        break;
      }
      case 'fifo':
      case 'char':
      case 'block': {
        if (h.kind === 'fifo') {
          if (opts.fifos === 'reject') refuse('special-file', label, h.name, 'FIFO entries are not allowed here', 'remove the FIFO from the archive (files, directories and links only)');
        } else if ((opts.devices ?? 'reject') !== 'create') {
          if (opts.devices === 'skip') continue;
          refuse('device', label, h.name, `${h.kind} device entries are not allowed here`, 'pass devices: create (as root) or remove devices from the archive');
        }
        clearSlot(rel, h.name, false);
        const mode = (h.mode & 0o7777).toString(8);
        const args = h.kind === 'fifo' ? ['-m', mode, p] : ['-m', mode, p, h.kind === 'char' ? 'c' : 'b', String(h.devmajor), String(h.devminor)];
        const r = spawnSync(h.kind === 'fifo' ? 'mkfifo' : 'mknod', args, { encoding: 'utf8' });
        if (r.status !== 0) {
          throw new StrataError('tar/mknod-failed', `${label}: entry '${h.name}': cannot create ${h.kind}: ${(r.stderr || String(r.error)).trim()}`, {
            hint: 'device nodes need root', kind: 'build',
          });
        }
        if (keepOwners) lchownSync(p, h.uid, h.gid);
        utimesSync(p, h.mtime, h.mtime);
        break;
      }
    }
    extracted.add(rel);
    if (onEntry) {
      // awaited only when the hook is asynchronous: no microtask per entry otherwise
      const r = onEntry(rel, h, p);
      if (r) await r;
    }
  }
  // Directories last and deepest first, so that creating children does not touch their mtime.
  for (const { rel, h } of dirMeta.reverse()) {
    const p = abs(rel);
    if (keepOwners) lchownSync(p, h.uid, h.gid);
    chmodSync(p, h.mode);
    utimesSync(p, h.mtime, h.mtime);
  }
  return { entries, files, bytes, ...(rootHeader ? { rootHeader } : {}) };
}
