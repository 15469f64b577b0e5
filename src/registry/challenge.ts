/**
 * `WWW-Authenticate` parsing (RFC 7235 challenges) for the distribution auth flow:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`
 * or `Basic realm="…"`. Several challenges may share one header. Pure.
 */

export interface Challenge {
  /** Lowercased scheme: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameters with lowercased names. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let s = header;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  const skip = (re: RegExp): void => {
    s = s.replace(re, '');
  };
  skip(/^[\s,]+/);
  while (s.length > 0) {
    const tok = TOKEN_RE.exec(s);
    if (!tok) break; // malformed: keep what we have
    const word = tok[0];
    const after = s.slice(word.length);
    const eq = /^\s*=\s*/.exec(after);
    // `name=value` continues the current challenge; `name=` followed by nothing is token68 padding
    if (eq && current && !/^\s*=+\s*(?:,|$)/.test(after)) {
      // auth-param: name=value
      s = after.slice(eq[0].length);
      let value: string;
      if (s.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        s = s.slice(i + 1);
      } else {
        const v = TOKEN_RE.exec(s);
        value = v ? v[0] : '';
        s = s.slice(value.length);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      // a new challenge: scheme, possibly followed by token68 (ignored) or params
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
      s = after;
      const t68 = /^\s+[A-Za-z0-9._~+/-]+=*\s*(?=,|$)/.exec(s);
      if (t68 && !/=\s*[^=\s,]/.test(t68[0])) s = s.slice(t68[0].length);
    }
    skip(/^[\s,]+/);
  }
  return out;
}

/**
 * Merge scope strings (space separated lists) into one sorted list with one entry per
 * resource and the union of its actions, sorted: `repository:a:push,pull` and
 * `repository:a:pull` become `repository:a:pull,push` (registries list actions in any order).
 */
export function mergeScopes(...lists: readonly (string | undefined)[]): string[] {
  const byResource = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  for (const l of lists) {
    for (const s of (l ?? '').split(/\s+/)) {
      if (!s) continue;
      const first = s.indexOf(':');
      const last = s.lastIndexOf(':');
      if (first < 0 || last === first) {
        opaque.add(s);
        continue;
      }
      const resource = s.slice(0, last);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const a of s.slice(last + 1).split(',')) if (a) actions.add(a);
      byResource.set(resource, actions);
    }
  }
  const out = [...opaque];
  for (const [resource, actions] of byResource) out.push(`${resource}:${[...actions].sort().join(',')}`);
  return out.sort();
}
