/**
 * The COPY/ADD engine: writes source nodes into a fresh overlayfs-format upper directory
 * on top of a stage's layers, with Docker's destination rules:
 *
 * - destination parents are resolved in the stage root following symlinks, clamped to
 *   the root (so `COPY --from=x . /` onto `/lib -> usr/lib` lands in `/usr/lib`);
 * - lower directories a write passes through are copied up with their metadata, as the
 *   kernel would;
 * - a directory source merges into an existing directory (or symlink to one); a file
 *   replaces a file or symlink; replacing a directory by a file is an error;
 * - hardlinks among copied files stay hardlinks.
 *
 * Context sources get owner 0:0, mode 0644/0755 (only the execute bit is kept) and
 * mtime SOURCE_DATE_EPOCH unless --chown/--chmod say otherwise (ADR 0091).
 */
import { chmodSync, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../errors.js';
import { readXattrs, setXattr } from '../sandbox/native.js';
import { defaultKeepXattr } from '../sandbox/upper.js';
import { CAPABILITY_XATTR } from './archive-xattrs.js';
import { buildError, inputError } from './errors.js';
import { joinRel, LayeredFs, resolveInRoot, type FsNode, type SourceFs } from './layered-fs.js';
import { GLOB_CHARS, globToRegExp, resolveInContext } from '../tar/context-path.js';

export interface CopyOptions {
  /** --chown, resolved to numbers. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** --chmod bits. */
  readonly chmod?: number;
  /**
   * Mode of the directories the copy creates (missing parents, the destination of a
   * directory source): the --chmod mode, as BuildKit does (ADR 0145); default 0755.
   * Their owner is --chown's, else 0:0.
   */
  readonly newDirMode?: number;
  /**
   * The source files are scratch that is deleted after the copy (an ADD archive unpacked
   * to a temp dir on the same file system): move them instead of copying the bytes.
   */
  readonly move?: boolean;
  /**
   * With `move`: the sources carry extended attributes the layer keeps (an ADD archive's,
   * ADR 0172). Directories' are copied to the destination; a moved file keeps its own,
   * and its security.capability is set again after the chown that clears it.
   */
  readonly carryXattrs?: boolean;
  /** Normalise modes/owners/mtimes as for build-context files. */
  readonly context: boolean;
  readonly epoch: number;
  readonly location: SourceLocation;
}

/** Owner and mode of a directory a COPY/ADD creates (existing ones keep theirs). */
export function newDirMeta(o: CopyOptions): { mode: number; uid: number; gid: number } {
  return { mode: o.newDirMode ?? 0o755, uid: o.owner?.uid ?? 0, gid: o.owner?.gid ?? 0 };
}

/** Writes into the top (upper) layer of a LayeredFs. */
export class UpperWriter {
  readonly view: LayeredFs;
  private readonly dirTimes = new Map<string, number>();
  private readonly linked = new Map<string, string>();

  constructor(
    lowers: readonly string[],
    readonly upper: string,
  ) {
    this.view = new LayeredFs([...lowers, upper], 'the stage');
  }

  private up(rel: string): string {
    return path.join(this.upper, rel);
  }

  private inUpper(rel: string): import('node:fs').Stats | undefined {
    try {
      return lstatSync(this.up(rel));
    } catch {
      return undefined;
    }
  }

  /** Make `rel` a directory in the upper layer, copying up every lower directory on the way. */
  ensureDir(rel: string, created?: { mode: number; uid: number; gid: number }): void {
    if (rel === '') return;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const a = parts.slice(0, i).join('/');
      const st = this.inUpper(a);
      if (st?.isDirectory()) continue;
      const merged = this.view.node(a);
      if (merged && merged.kind !== 'dir') {
        throw buildError('build/not-a-directory', `'/${a}' exists and is not a directory`, 'copy to a path whose parents are directories');
      }
      const meta = merged ?? { mode: created?.mode ?? 0o755, uid: created?.uid ?? 0, gid: created?.gid ?? 0, mtime: undefined };
      mkdirSync(this.up(a));
      lchownSync(this.up(a), meta.uid, meta.gid);
      chmodSync(this.up(a), meta.mode);
      if (merged) {
        // a copy-up keeps the directory's kept attributes, as the kernel's does (ADR 0155)
        if (merged.abs !== '') for (const [k, v] of keptXattrs(merged.abs, 'dir')) setKept(this.up(a), a, k, v);
        this.dirTimes.set(a, merged.mtime);
      }
      this.view.invalidate();
    }
  }

  /** Remove whatever the upper layer has at `rel` (not directories). */
  private clearSlot(rel: string): void {
    const st = this.inUpper(rel);
    if (!st) return;
    if (st.isDirectory()) rmSync(this.up(rel), { recursive: true, force: true });
    else unlinkSync(this.up(rel));
    this.view.invalidate();
  }

  /**
   * Copy `node` (found at `srcRel` of `src`) to the root-relative `destRel`, whose parent is
   * already resolved. Directories are merged recursively.
   */
  place(src: SourceFs, srcRel: string, node: FsNode, destRel: string, o: CopyOptions): void {
    if (destRel === '') {
      if (node.kind !== 'dir') throw inputError('build/copy-to-root', 'cannot copy a file onto /', 'name a destination path', o.location);
      for (const name of src.list(srcRel)) this.placeChild(src, srcRel, name, '', o);
      return;
    }
    const parent = destRel.includes('/') ? destRel.slice(0, destRel.lastIndexOf('/')) : '';
    this.ensureDir(parent, newDirMeta(o));
    let target = destRel;
    let existing = this.view.node(target);
    const uid = o.owner?.uid ?? (o.context ? 0 : node.uid);
    const gid = o.owner?.gid ?? (o.context ? 0 : node.gid);
    const mtime = o.context ? o.epoch : node.mtime;
    if (node.kind === 'dir') {
      if (!existing && o.move && !o.context && o.owner === undefined && o.chmod === undefined && moveDir(node.abs, this.up(target))) {
        // nothing at the target in any layer: the scratch directory moves in whole; its
        // entries keep the owners, modes, mtimes and xattrs they have (ADR 0154)
        this.view.invalidate();
        this.dirTimes.set(target, mtime);
        return;
      }
      if (existing?.kind === 'symlink') {
        const resolved = resolveInRoot(this.view, target, true);
        const r = this.view.node(resolved);
        if (r?.kind === 'dir') {
          target = resolved;
          existing = r;
        } else {
          this.clearSlot(target);
          existing = undefined;
        }
      }
      if (existing && existing.kind !== 'dir') this.clearSlot(target);
      this.ensureDir(target);
      const mode = o.chmod ?? (o.context ? 0o755 : node.mode);
      lchownSync(this.up(target), uid, gid);
      chmodSync(this.up(target), mode);
      if (carriesXattrs(o)) for (const [k, v] of keptXattrs(node.abs, 'dir')) setKept(this.up(target), target, k, v, o);
      this.dirTimes.set(target, mtime);
      for (const name of src.list(srcRel)) this.placeChild(src, srcRel, name, target, o);
      return;
    }
    if (existing?.kind === 'dir') {
      throw buildError('build/copy-over-directory', `cannot replace the directory '/${target}' with a ${node.kind}`, 'copy into the directory (end the destination with /) or remove it first', o.location);
    }
    this.clearSlot(target);
    const dest = this.up(target);
    if (node.kind === 'file') {
      const first = node.inode !== undefined && !o.context ? this.linked.get(node.inode) : undefined;
      if (first !== undefined) {
        linkSync(this.up(first), dest);
        return;
      }
      if (o.move) moveFile(node.abs, dest);
      else copyFileSync(node.abs, dest);
      // the source's kept attributes, set after the chown (which clears a file capability);
      // a moved file still has its user.* ones, only the capability needs setting again
      const xattrs = !carriesXattrs(o) ? [] : o.move ? keptXattrs(dest, 'file').filter(([k]) => k === CAPABILITY_XATTR) : keptXattrs(node.abs, 'file');
      lchownSync(dest, uid, gid);
      const mode = o.chmod ?? (o.context ? ((node.mode & 0o111) !== 0 ? 0o755 : 0o644) : node.mode);
      chmodSync(dest, mode);
      for (const [k, v] of xattrs) setKept(dest, target, k, v, o);
      utimesSync(dest, mtime, mtime);
      if (node.inode !== undefined && !o.context) this.linked.set(node.inode, target);
    } else if (node.kind === 'symlink') {
      symlinkSync(node.linkTarget ?? '', dest);
      lchownSync(dest, uid, gid);
      lutimesSync(dest, mtime, mtime);
    } else {
      throw buildError('build/special-file', `'${srcRel}' in ${src.label} is a device, socket or FIFO`, 'COPY copies files, directories and symlinks only', o.location);
    }
  }

  private placeChild(src: SourceFs, srcDir: string, name: string, destDir: string, o: CopyOptions): void {
    const srcRel = joinRel(srcDir, name);
    const n = src.node(srcRel);
    if (!n) return;
    this.place(src, srcRel, n, joinRel(destDir, name), o);
  }

  /** Restore directory mtimes after their children were written (deepest first). */
  finish(): void {
    const dirs = [...this.dirTimes].sort((a, b) => b[0].length - a[0].length);
    for (const [rel, t] of dirs) {
      try {
        utimesSync(this.up(rel), t, t);
      } catch {
        // removed later in the same step
      }
    }
  }
}

/**
 * Whether a copy carries its sources' kept extended attributes (user.* and
 * security.capability, ADR 0155): `COPY --from` (a stage's or store image's files) and an
 * ADD archive's unpacked files that had some; never build-context files, whose host
 * attributes must not leak into the layer (ADR 0172).
 */
function carriesXattrs(o: CopyOptions): boolean {
  return !o.context && (!o.move || o.carryXattrs === true);
}

/**
 * The attributes of `abs` a layer keeps, by name: user.* (not user.overlay.*) on files and
 * directories, security.capability on regular files only.
 */
function keptXattrs(abs: string, kind: 'file' | 'dir'): Array<[string, Buffer]> {
  return readXattrs(abs).filter(([k]) => defaultKeepXattr(k) && (kind === 'file' || k !== CAPABILITY_XATTR));
}

function setKept(abs: string, rel: string, name: string, value: Buffer, o?: CopyOptions): void {
  try {
    setXattr(abs, name, value);
  } catch (e) {
    throw buildError('build/copy-xattr', `cannot set the extended attribute ${name} on '/${rel}' (${(e as Error).message})`,
      'the file system holding the store must support user.* extended attributes (ext4, xfs, btrfs, tmpfs ≥ 6.6)', o?.location);
  }
}

/** rename(2) of a directory; false (nothing moved) when the two paths are on different file systems. */
function moveDir(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    return false;
  }
}

/** rename(2), or a copy when the two paths are on different file systems. */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
  }
}



/**
 * Resolve a context path: no absolute paths, no `..` above the root, and no symlink (in
 * any component, the last one included) that leads outside the context.
 */
export function resolveContextPath(ctx: SourceFs, p: string, location: SourceLocation): string {
  const r = resolveInContext(p, (rel) => {
    const n = ctx.node(rel);
    return n?.kind === 'symlink' ? (n.linkTarget ?? '') : undefined;
  });
  if (typeof r === 'string') return r;
  throw inputError('build/outside-context', `COPY source '${p}' ${r.why}`, 'COPY only reads files inside the package directory (and fetch/<file>); move the file into the package', location);
}

/**
 * Expand one source word (globs allowed) to the root-relative paths it names, resolved
 * (symlinks followed) with `resolve`. No match is an input error.
 */
export function expandSource(src: SourceFs, word: string, resolve: (p: string) => string, location: SourceLocation): string[] {
  if (!GLOB_CHARS.test(word)) {
    const rel = resolve(word);
    if (!src.node(rel)) {
      throw inputError('build/source-not-found', `COPY source '${word}' not found in ${src.label}`, 'check the path (it is relative to the package directory, or to the root of --from)', location);
    }
    return [rel];
  }
  let bases = [''];
  const comps = word.split('/').filter((c) => c !== '' && c !== '.');
  for (const c of comps) {
    const next: string[] = [];
    for (const b of bases) {
      if (GLOB_CHARS.test(c)) {
        const re = globToRegExp(c);
        for (const name of src.list(b)) if (re.test(name)) next.push(resolve(joinRel(b, name)));
      } else {
        next.push(resolve(joinRel(b, c)));
      }
    }
    bases = next.filter((b) => src.node(b) !== undefined);
  }
  if (bases.length === 0) {
    throw inputError('build/source-not-found', `COPY source '${word}' matches nothing in ${src.label}`, 'check the pattern', location);
  }
  return [...new Set(bases)].sort();
}

/**
 * The stage path `dest` (a COPY/ADD destination) names: its parent resolved with symlinks
 * followed and clamped to the root, then its last component (not followed); '' for '/'.
 */
export function destinationRel(w: UpperWriter, dest: string): string {
  const trimmed = dest.replace(/\/+$/, '');
  const parent = resolveInRoot(w.view, path.posix.dirname(dest === '/' ? '/' : trimmed), true);
  return trimmed === '' ? parent : joinRel(parent, path.posix.basename(trimmed));
}

/**
 * Copy already-expanded sources to `dest` (absolute, in the stage root) with Docker's
 * rules for trailing slashes, several sources and directory sources.
 */
export function copySources(w: UpperWriter, src: SourceFs, sources: readonly string[], dest: string, o: CopyOptions): void {
  const destIsDir = dest.endsWith('/');
  if (sources.length > 1 && !destIsDir) {
    const existing = w.view.node(resolveInRoot(w.view, dest, true));
    if (existing?.kind !== 'dir') {
      throw inputError('build/dest-not-dir', `copying several sources needs a directory destination, got '${dest}'`, `end the destination with '/' (e.g. '${dest}/')`, o.location);
    }
  }
  const destRel = destinationRel(w, dest);
  for (const s of sources) {
    const node = src.node(s)!;
    if (node.kind === 'dir') {
      // the contents of a directory source go into the destination directory
      const existing = w.view.node(destRel);
      if (destRel !== '' && !existing) {
        const mode = o.chmod ?? (o.context ? 0o755 : node.mode);
        if (destRel.includes('/')) w.ensureDir(destRel.slice(0, destRel.lastIndexOf('/')), newDirMeta(o));
        w.ensureDir(destRel, { mode, uid: o.owner?.uid ?? (o.context ? 0 : node.uid), gid: o.owner?.gid ?? (o.context ? 0 : node.gid) });
        // the directory made for the source directory gets its attributes too
        if (carriesXattrs(o)) for (const [k, v] of keptXattrs(node.abs, 'dir')) setKept(path.join(w.upper, destRel), destRel, k, v, o);
      }
      const targetDir = existing?.kind === 'symlink' ? resolveInRoot(w.view, destRel, true) : destRel;
      for (const name of src.list(s)) {
        const child = joinRel(s, name);
        const n = src.node(child);
        if (n) w.place(src, child, n, joinRel(targetDir, name), o);
      }
      continue;
    }
    const base = s.slice(s.lastIndexOf('/') + 1);
    const existing = w.view.node(resolveInRoot(w.view, destRel, true));
    const intoDir = destIsDir || sources.length > 1 || existing?.kind === 'dir';
    if (intoDir) {
      const dir = resolveInRoot(w.view, destRel, true);
      w.ensureDir(dir, newDirMeta(o));
      w.place(src, s, node, joinRel(dir, base), o);
    } else {
      w.place(src, s, node, destRel, o);
    }
  }
}
