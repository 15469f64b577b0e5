/**
 * The build context of a package (DESIGN §2): the package directory, plus every fetched
 * source as `fetch/<file>`, plus a decoded `[seed]` under its `file` name. Read through
 * the SourceFs interface so COPY/ADD treat it like any other source; the copy engine
 * normalises context modes (ADR 0091).
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareBytes, joinRel, nodeFromStats, type FsNode, type SourceFs } from './layered-fs.js';

export interface VirtualFile {
  /** Path in the context, e.g. `fetch/zlib-1.3.1.tar.gz`. */
  readonly rel: string;
  /** Where the bytes are. */
  readonly abs: string;
  /** sha256 hex of the bytes, when already known (sources, seed). */
  readonly sha256: string;
  readonly size: number;
}

const VIRTUAL_DIR: Omit<FsNode, 'abs'> = { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 };

/**
 * The order directory listings are taken in before they are sorted: 'reverse' exists so
 * that `strata verify --vary` can show a build does not depend on it (every listing is
 * sorted by UTF-8 bytes afterwards, so the output must not change).
 */
export type ReaddirOrder = 'native' | 'reverse';

export class ContextFs implements SourceFs {
  readonly label = 'the build context';
  private readonly files = new Map<string, VirtualFile>();
  private readonly dirs = new Map<string, Set<string>>();

  constructor(
    /** The package directory (absolute). */
    readonly dir: string,
    virtual: readonly VirtualFile[],
    private readonly readdirOrder: ReaddirOrder = 'native',
  ) {
    for (const v of virtual) {
      this.files.set(v.rel, v);
      const parts = v.rel.split('/');
      for (let i = 0; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        const set = this.dirs.get(parent) ?? new Set<string>();
        set.add(parts[i]!);
        this.dirs.set(parent, set);
      }
    }
  }

  virtualFiles(): VirtualFile[] {
    return [...this.files.values()];
  }

  node(rel: string): FsNode | undefined {
    const v = this.files.get(rel);
    if (v) return { kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: v.size, abs: v.abs };
    if (rel !== '' && this.dirs.has(rel)) return { ...VIRTUAL_DIR, abs: path.join(this.dir, rel) };
    try {
      return nodeFromStats(path.join(this.dir, rel), lstatSync(path.join(this.dir, rel)));
    } catch {
      return undefined;
    }
  }

  list(rel: string): string[] {
    const names = new Set<string>(this.dirs.get(rel) ?? []);
    if (!this.files.has(rel)) {
      try {
        const listed = readdirSync(path.join(this.dir, rel));
        if (this.readdirOrder === 'reverse') listed.reverse();
        for (const n of listed) names.add(n);
      } catch {
        // not a real directory: only virtual entries
      }
    }
    return [...names].sort(compareBytes);
  }
}

/** Describe bytes (a decoded seed) as a context file at `file`, without writing them. */
export function describeBytes(rel: string, file: string, bytes: Uint8Array): VirtualFile {
  return { rel, abs: file, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/** Write bytes (a decoded seed) to `file` and describe them as a context file. */
export function virtualFromBytes(rel: string, file: string, bytes: Uint8Array): VirtualFile {
  writeFileSync(file, bytes, { mode: 0o644 });
  return describeBytes(rel, file, bytes);
}

/** One line of the context listing that goes into the cache key. */
export interface ContextListingEntry {
  readonly path: string;
  readonly kind: string;
  /** Files: the execute bit (the only mode bit a context keeps). */
  readonly exec?: boolean;
  readonly sha256?: string;
  readonly target?: string;
}

/** Files up to this size are hashed from one read; larger ones are streamed. */
const SMALL_FILE = 1 << 20;

async function hashFileHex(file: string, size: number): Promise<string> {
  if (size <= SMALL_FILE) {
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch {
      // fall through to the stream, which reports the error the same way as before
    }
  }
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Every path of the context with what a build can observe of it: kind, normalised mode,
 * content hash, link target. Not mtimes, owners or other mode bits: they never reach a
 * layer (ADR 0091), so they must not invalidate the cache.
 */
export async function listContext(ctx: ContextFs): Promise<ContextListingEntry[]> {
  const known = new Map(ctx.virtualFiles().map((v) => [v.rel, v.sha256]));
  const out: ContextListingEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of ctx.list(rel)) {
      const p = joinRel(rel, name);
      const n = ctx.node(p);
      if (!n) continue;
      if (n.kind === 'dir') {
        out.push({ path: p, kind: 'dir' });
        await walk(p);
      } else if (n.kind === 'file') {
        out.push({ path: p, kind: 'file', exec: (n.mode & 0o111) !== 0, sha256: known.get(p) ?? (await hashFileHex(n.abs, n.size)) });
      } else if (n.kind === 'symlink') {
        out.push({ path: p, kind: 'symlink', target: n.linkTarget ?? '' });
      } else {
        out.push({ path: p, kind: 'other' });
      }
    }
  };
  await walk('');
  return out;
}
