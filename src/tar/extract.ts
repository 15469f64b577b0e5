/**
 * Safe extraction of an untrusted tar stream into a directory (layers, ADD of local
 * archives). Guarantees (ADR 0053):
 * - no entry is written outside `root`: absolute names and '..' components are refused;
 * - no symlink is ever followed: a parent component that is a symlink (from this archive
 *   or already in root) is refused, files are created with O_EXCL after unlinking
 *   whatever was there, so a symlink planted earlier cannot redirect a write;
 * - hardlinks must point inside root, at a non-directory reached without symlinks;
 * - a directory is never replaced by a non-directory.
 * On error the destination may hold the entries extracted so far: callers extract into a
 * fresh directory and discard it on failure (the store never sees it).
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
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
  /** 'reject' (default), 'skip', or 'create' (mknod, needs root). FIFOs are always created. */
  readonly devices?: 'reject' | 'skip' | 'create';
}

export interface ExtractResult {
  readonly entries: number;
  readonly files: number;
  readonly bytes: number;
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

export async function extractTar(src: ByteSource, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const label = opts.label ?? 'archive';
  const realDirs = new Set<string>(['']);
  const extracted = new Set<string>();
  const dirMeta: { rel: string; h: TarHeader }[] = [];
  const keepOwners = opts.owners === 'keep';
  let entries = 0;
  let files = 0;
  let bytes = 0;

  const abs = (rel: string): string => (rel === '' ? root : path.join(root, rel));

  async function ensureParents(rel: string, name: string, create: boolean): Promise<void> {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (realDirs.has(cur)) continue;
      let st;
      try {
        st = await lstat(abs(cur));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw e;
        await mkdir(abs(cur), { mode: 0o755 });
        realDirs.add(cur);
        continue;
      }
      if (st.isSymbolicLink()) refuse('through-symlink', label, name, `'${cur}' is a symlink; extraction never follows symlinks`, 'the archive tries to write through a symlink; repack it without that');
      if (!st.isDirectory()) refuse('parent-not-dir', label, name, `'${cur}' is not a directory`, 'the archive is inconsistent');
      realDirs.add(cur);
    }
  }

  /** Remove what is at rel (not a directory), or refuse to replace a directory. */
  async function clearSlot(rel: string, name: string, wantDir: boolean): Promise<boolean> {
    let st;
    try {
      st = await lstat(abs(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (st.isDirectory()) {
      if (wantDir) return true;
      refuse('replace-directory', label, name, 'would replace a directory with a non-directory', 'the archive is inconsistent');
    }
    await unlink(abs(rel));
    return false;
  }

  async function applyWhiteout(rel: string, name: string, kind: 'whiteout' | 'opaque'): Promise<void> {
    const mode = opts.whiteouts ?? 'reject';
    if (mode === 'reject') refuse('whiteout', label, name, 'whiteout entries are not allowed here', 'only image layers may contain .wh. entries');
    if (typeof mode === 'function') return mode(rel, kind);
    if (kind === 'whiteout') {
      if (!extracted.has(rel)) {
        await rm(abs(rel), { recursive: true, force: true });
        realDirs.delete(rel);
        for (const d of [...realDirs]) if (d.startsWith(`${rel}/`)) realDirs.delete(d);
      }
      return;
    }
    let names: string[] = [];
    try {
      names = await readdir(abs(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const n of names) {
      const child = rel ? `${rel}/${n}` : n;
      if (extracted.has(child)) continue;
      await rm(abs(child), { recursive: true, force: true });
      for (const d of [...realDirs]) if (d === child || d.startsWith(`${child}/`)) realDirs.delete(d);
    }
  }

  for await (const { header: h, body } of readTar(src, label)) {
    entries++;
    const rel = safeEntryPath(h.name, label);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
      await ensureParents(rel, h.name, true);
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
      dirMeta.push({ rel, h });
      continue;
    }
    await ensureParents(rel, h.name, true);
    const p = abs(rel);
    switch (h.kind) {
      case 'dir': {
        const exists = await clearSlot(rel, h.name, true);
        if (!exists) await mkdir(p, { mode: 0o700 });
        realDirs.add(rel);
        dirMeta.push({ rel, h });
        break;
      }
      case 'file': {
        await clearSlot(rel, h.name, false);
        const fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const c of body) {
            await fh.write(c);
            bytes += c.length;
          }
          if (keepOwners) await fh.chown(h.uid, h.gid);
          await fh.chmod(h.mode);
        } finally {
          await fh.close();
        }
        await utimes(p, h.mtime, h.mtime);
        files++;
        break;
      }
      case 'symlink':
        await clearSlot(rel, h.name, false);
        await symlink(h.linkname, p);
        if (keepOwners) await lchown(p, h.uid, h.gid);
        await lutimes(p, h.mtime, h.mtime);
        break;
      case 'hardlink': {
        if (h.linkname.startsWith('/')) refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' is absolute`, 'hardlinks must point inside the archive');
        const target = safeEntryPath(h.linkname, label);
        if (target === '') refuse('hardlink-escape', label, h.name, 'hardlink to the root', 'the archive is malformed');
        await ensureParents(target, h.name, false).catch((e: unknown) => {
          if (e instanceof StrataError) throw e;
          refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' does not exist`, 'hardlinks must point at an earlier entry');
        });
        let tst;
        try {
          tst = await lstat(abs(target));
        } catch {
          refuse('hardlink-escape', label, h.name, `hardlink target '${h.linkname}' does not exist`, 'hardlinks must point at an earlier entry');
        }
        if (tst.isDirectory()) refuse('hardlink-escape', label, h.name, 'hardlink to a directory', 'the archive is malformed');
        await clearSlot(rel, h.name, false);
        await link(abs(target), p);
        break;
      }
      case 'fifo':
      case 'char':
      case 'block': {
        if (h.kind !== 'fifo' && (opts.devices ?? 'reject') !== 'create') {
          if (opts.devices === 'skip') break;
          refuse('device', label, h.name, `${h.kind} device entries are not allowed here`, 'pass devices: create (as root) or remove devices from the archive');
        }
        await clearSlot(rel, h.name, false);
        const mode = (h.mode & 0o7777).toString(8);
        const args = h.kind === 'fifo' ? ['-m', mode, p] : ['-m', mode, p, h.kind === 'char' ? 'c' : 'b', String(h.devmajor), String(h.devminor)];
        const r = spawnSync(h.kind === 'fifo' ? 'mkfifo' : 'mknod', args, { encoding: 'utf8' });
        if (r.status !== 0) {
          throw new StrataError('tar/mknod-failed', `${label}: entry '${h.name}': cannot create ${h.kind}: ${(r.stderr || String(r.error)).trim()}`, {
            hint: 'device nodes need root', kind: 'build',
          });
        }
        if (keepOwners) await lchown(p, h.uid, h.gid);
        await utimes(p, h.mtime, h.mtime);
        break;
      }
    }
    extracted.add(rel);
  }
  // Directories last and deepest first, so that creating children does not touch their mtime.
  for (const { rel, h } of dirMeta.reverse()) {
    const p = abs(rel);
    if (keepOwners) await lchown(p, h.uid, h.gid);
    await chmod(p, h.mode);
    await utimes(p, h.mtime, h.mtime);
  }
  return { entries, files, bytes };
}
