/**
 * Resolving a path inside a build context without ever leaving it (DESIGN §6): no absolute
 * paths, no `..` above the root, and no symlink — in any component, the last one included —
 * that leads outside. Pure: the caller supplies the link targets it knows.
 * The builder's COPY and the audit's view of COPY use this one walk.
 */

/** Why a path was refused, worded to follow "COPY source '<p>' ". */
export type ContextPathRefusal = { readonly why: string };

/**
 * Resolve `p` relative to the context root. `linkTarget(rel)` returns the target of the
 * symlink at root-relative `rel`, or undefined when `rel` is not a symlink.
 * Returns the resolved root-relative path ('' for the root), or a refusal.
 */
export function resolveInContext(p: string, linkTarget: (rel: string) => string | undefined): string | ContextPathRefusal {
  if (p.startsWith('/')) return { why: 'is an absolute path' };
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const c = pending.shift()!;
    if (c === '..') {
      if (done.length === 0) return { why: "leaves the build context with '..'" };
      done.pop();
      continue;
    }
    const rel = [...done, c].join('/');
    const target = linkTarget(rel);
    if (target !== undefined) {
      if (++hops > 40) return { why: 'has too many levels of symbolic links' };
      const escape = { why: `goes through the symlink '${rel}' → '${target}' out of the build context` };
      if (target.startsWith('/')) return escape;
      const parts = target.split('/').filter((x) => x !== '' && x !== '.');
      let depth = done.length;
      for (const x of parts) {
        depth += x === '..' ? -1 : 1;
        if (depth < 0) return escape;
      }
      pending.unshift(...parts);
      continue;
    }
    done.push(c);
  }
  return done.join('/');
}

/** Characters that make a COPY/ADD source word component a glob. */
export const GLOB_CHARS = /[*?[]/;

/**
 * One path component's glob (`*`, `?`, `[...]`, `[!...]`, `\x`) as an anchored regular
 * expression; every other character, `]` and `/` included, matches itself.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!') || cls.startsWith('^')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
