/**
 * A package's build context as the audit sees it, pure: the listing of the package
 * directory (read by the edge) plus the virtual `fetch/<file>` of every declared source
 * and the decoded `[seed]` file, with COPY/ADD source words resolved against it the way
 * the builder does (globs per path component, symlinks followed inside the context, no
 * `..` above it, virtual entries shadowing real ones).
 */
import { StrataError, type SourceLocation } from '../errors.js';
import type { PackageDef, SourceDef } from '../tree/types.js';
import { GLOB_CHARS, globToRegExp, resolveInContext } from '../tar/context-path.js';

/** What the edge found in the package directory. */
export type RealNode =
  | { readonly kind: 'file' }
  | { readonly kind: 'dir' }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'other' };

export type ContextNode =
  | RealNode
  | { readonly kind: 'source'; readonly source: SourceDef }
  | { readonly kind: 'seed' };

/** What a resolved COPY/ADD source word brings into the stage. */
export type ContextItem =
  | { readonly kind: 'file'; readonly rel: string }
  | { readonly kind: 'source'; readonly source: SourceDef }
  | { readonly kind: 'seed' };

export class ContextView {
  private readonly nodes = new Map<string, ContextNode>();
  private readonly children = new Map<string, Set<string>>();

  /** `real`: every path of the package directory (relative, '/'-separated) with its kind. */
  constructor(real: ReadonlyMap<string, RealNode>, pkg: Pick<PackageDef, 'sources' | 'seed'>) {
    for (const [rel, node] of real) this.add(rel, node);
    for (const s of pkg.sources) this.add(`fetch/${s.file}`, { kind: 'source', source: s });
    if (pkg.seed) this.add(pkg.seed.file, { kind: 'seed' });
  }

  private add(rel: string, node: ContextNode): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const existing = this.nodes.get(dir);
      if (!existing || existing.kind !== 'dir') this.nodes.set(dir, { kind: 'dir' });
      this.link(parts.slice(0, i - 1).join('/'), parts[i - 1]!);
    }
    this.nodes.set(rel, node);
    this.link(parts.slice(0, -1).join('/'), parts[parts.length - 1]!);
  }

  private link(parent: string, name: string): void {
    const set = this.children.get(parent) ?? new Set<string>();
    set.add(name);
    this.children.set(parent, set);
  }

  node(rel: string): ContextNode | undefined {
    return rel === '' ? { kind: 'dir' } : this.nodes.get(rel);
  }

  list(rel: string): string[] {
    return [...(this.children.get(rel) ?? [])].sort();
  }

  /**
   * The context paths a COPY/ADD source word names (globs allowed), symlinks in the word
   * followed. Nothing matching is an input error, as in the build.
   */
  resolveWord(word: string, location: SourceLocation): string[] {
    if (!GLOB_CHARS.test(word)) {
      const rel = this.resolvePath(word, location);
      if (!this.node(rel)) throw notFound(`COPY source '${word}' not found in the build context`, location);
      return [rel];
    }
    let bases = [''];
    for (const c of word.split('/').filter((x) => x !== '' && x !== '.')) {
      const next: string[] = [];
      for (const b of bases) {
        if (GLOB_CHARS.test(c)) {
          const re = globToRegExp(c);
          for (const name of this.list(b)) if (re.test(name)) next.push(this.resolvePath(join(b, name), location));
        } else {
          next.push(this.resolvePath(join(b, c), location));
        }
      }
      bases = next.filter((b) => this.node(b) !== undefined);
    }
    if (bases.length === 0) throw notFound(`COPY source '${word}' matches nothing in the build context`, location);
    return [...new Set(bases)].sort();
  }

  /** Every file-like item at or under `rel` (a directory is copied with its contents; symlinks inside stay links). */
  itemsAt(rel: string): ContextItem[] {
    const n = this.node(rel);
    if (!n) return [];
    switch (n.kind) {
      case 'file':
        return [{ kind: 'file', rel }];
      case 'source':
        return [{ kind: 'source', source: n.source }];
      case 'seed':
        return [{ kind: 'seed' }];
      case 'dir':
        return this.list(rel).flatMap((name) => this.itemsAt(join(rel, name)));
      default:
        return [];
    }
  }

  /** Normalise a context path, following symlinks that stay inside the context. */
  private resolvePath(p: string, location: SourceLocation): string {
    const r = resolveInContext(p, (rel) => {
      const n = this.node(rel);
      return n?.kind === 'symlink' ? n.target : undefined;
    });
    if (typeof r === 'string') return r;
    throw new StrataError('audit/outside-context', `COPY source '${p}' ${r.why}`, {
      location,
      hint: 'COPY only reads files inside the package directory (and fetch/<file>); move the file into the package',
    });
  }
}


function join(a: string, b: string): string {
  return a === '' ? b : `${a}/${b}`;
}

function notFound(message: string, location: SourceLocation): StrataError {
  return new StrataError('audit/source-not-found', message, {
    location,
    hint: 'check the path: it is relative to the package directory (sources are fetch/<file>)',
  });
}


