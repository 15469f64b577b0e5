/**
 * A read view of a stack of overlayfs-format layer directories (base first), the way the
 * kernel would merge them: a char 0/0 device is a whiteout, a directory with
 * `trusted.overlay.opaque=y` hides the lower layers below it, a non-directory hides
 * everything below. Used to resolve COPY destinations (following symlinks, clamped to the
 * root), to read `COPY --from` sources and to flatten a kept root, without mounting.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { readXattrs } from '../sandbox/native.js';
import { buildError } from './errors.js';

export type NodeKind = 'file' | 'dir' | 'symlink' | 'other';

/** One visible path of a source or destination file system. */
export interface FsNode {
  readonly kind: NodeKind;
  /** mode & 0o7777 */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly size: number;
  /** Where the bytes are on disk (files), or where the node is (others). */
  readonly abs: string;
  readonly linkTarget?: string;
  /** Identity of the inode, for keeping hardlinks (files with several links only). */
  readonly inode?: string;
}

/** What the copy engine reads from: a build context or a stage's layers. */
export interface SourceFs {
  /** The visible node at `rel` ('' is the root), symlinks not followed. */
  node(rel: string): FsNode | undefined;
  /** Names in the directory `rel`, sorted by UTF-8 bytes. */
  list(rel: string): string[];
  /** Shown in errors, e.g. "the build context" or "stage build". */
  readonly label: string;
}

export function nodeFromStats(abs: string, st: Stats): FsNode {
  const kind: NodeKind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    kind,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000),
    size: kind === 'file' ? st.size : 0,
    abs,
    ...(kind === 'symlink' ? { linkTarget: readlinkSync(abs, 'utf8') } : {}),
    ...(kind === 'file' && st.nlink > 1 ? { inode: `${st.dev}:${st.ino}` } : {}),
  };
}

function tryLstat(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(abs: string): boolean {
  return readXattrs(abs).some(([k, v]) => k === 'trusted.overlay.opaque' && v.toString('latin1') === 'y');
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

export class LayeredFs implements SourceFs {
  /** dir rel → indices (top first) of the layers contributing to that merged directory. */
  private readonly dirMemo = new Map<string, number[]>();

  constructor(
    /** Layer directories, base first. */
    readonly layers: readonly string[],
    readonly label: string,
  ) {}

  /** Forget cached directory merges (after writing into the top layer). */
  invalidate(): void {
    this.dirMemo.clear();
  }

  private dirLayers(rel: string): number[] | undefined {
    const memo = this.dirMemo.get(rel);
    if (memo) return memo;
    let result: number[] | undefined;
    if (rel === '') {
      result = this.layers.map((_, i) => this.layers.length - 1 - i);
    } else {
      const slash = rel.lastIndexOf('/');
      const parent = this.dirLayers(slash < 0 ? '' : rel.slice(0, slash));
      if (!parent) return undefined;
      const name = rel.slice(slash + 1);
      const found = this.child(parent, rel, name);
      result = found?.kind === 'dir' ? found.layers : undefined;
    }
    if (result) this.dirMemo.set(rel, result);
    return result;
  }

  /** Resolve `name` in a merged directory whose contributing layers are `parent` (top first). */
  private child(parent: readonly number[], rel: string, _name: string):
    | { kind: 'dir'; layers: number[]; top: { abs: string; st: Stats } }
    | { kind: 'other'; abs: string; st: Stats }
    | undefined {
    const dirs: number[] = [];
    let top: { abs: string; st: Stats } | undefined;
    for (const i of parent) {
      const abs = path.join(this.layers[i]!, rel);
      const st = tryLstat(abs);
      if (!st) continue;
      if (isWhiteout(st)) break;
      if (!st.isDirectory()) {
        if (dirs.length === 0) return { kind: 'other', abs, st };
        break;
      }
      dirs.push(i);
      top ??= { abs, st };
      if (isOpaque(abs)) break;
    }
    return top ? { kind: 'dir', layers: dirs, top } : undefined;
  }

  node(rel: string): FsNode | undefined {
    if (rel === '') {
      const top = this.layers[this.layers.length - 1];
      if (top === undefined) return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, abs: '' };
      return nodeFromStats(top, lstatSync(top));
    }
    const slash = rel.lastIndexOf('/');
    const parent = this.dirLayers(slash < 0 ? '' : rel.slice(0, slash));
    if (!parent) return undefined;
    const c = this.child(parent, rel, rel.slice(slash + 1));
    if (!c) return undefined;
    if (c.kind === 'dir') return nodeFromStats(c.top.abs, c.top.st);
    return nodeFromStats(c.abs, c.st);
  }

  list(rel: string): string[] {
    const layers = this.dirLayers(rel);
    if (!layers) return [];
    const seen = new Set<string>();
    const out: string[] = [];
    for (const i of layers) {
      const dir = path.join(this.layers[i]!, rel);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        if (seen.has(n)) continue;
        seen.add(n);
        const st = tryLstat(path.join(dir, n));
        if (st && !isWhiteout(st)) out.push(n);
      }
    }
    return out.sort(compareBytes);
  }
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Resolve `p` (absolute or relative to the root) inside `fs`, following symlinks in every
 * component (and in the last one when `followLast`), with `..` and absolute link targets
 * clamped to the root as a chroot would. Returns the root-relative path ('' for /), which
 * need not exist.
 */
export function resolveInRoot(fs: SourceFs, p: string, followLast: boolean): string {
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, c].join('/');
    const n = fs.node(rel);
    if (n?.kind === 'symlink' && (pending.length > 0 || followLast)) {
      if (++hops > 40) {
        throw buildError('build/symlink-loop', `too many levels of symbolic links resolving '${p}' in ${fs.label}`, 'fix the symlink loop');
      }
      const target = n.linkTarget ?? '';
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return done.join('/');
}
