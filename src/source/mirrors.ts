/**
 * Which URLs to try for a source, in order (ADR 0031): the source's own mirrors as
 * declared, then `<prefix>/<file>` for each extra prefix (strata.toml `mirrors`, then
 * $STRATA_MIRRORS). Duplicates are tried once.
 */
import { StrataError, type SourceLocation } from '../errors.js';

export const SUPPORTED_SCHEMES: readonly string[] = ['https:', 'http:', 'file:'];

/** What the fetcher needs to know about one source. */
export interface SourceSpec {
  /** The source id (`[sources.<id>]`). */
  readonly id: string;
  /** Local file name (the build sees it as `fetch/<file>`). */
  readonly file: string;
  /** sha256 of the file, 64 lower-case hex. */
  readonly hash: string;
  /** The source's own mirror URLs, tried in order. */
  readonly urls: readonly string[];
  /** Who needs it, for messages: a package or image name such as `core-zlib`. */
  readonly owner: string;
  /** Where the source is declared, if known. */
  readonly location?: SourceLocation;
}

/** `<prefix>/<file>`, with one slash between them and the file name percent-encoded. */
export function prefixUrl(prefix: string, file: string): string {
  return `${prefix.replace(/\/+$/, '')}/${encodeURIComponent(file)}`;
}

/** Every URL to try for the given sources (all with the same hash), in order, without repeats. */
export function candidateUrls(specs: readonly SourceSpec[], prefixes: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (u: string): void => {
    if (!seen.has(u)) {
      seen.add(u);
      out.push(u);
    }
  };
  for (const s of specs) for (const u of s.urls) add(u);
  for (const p of prefixes) for (const s of specs) add(prefixUrl(p, s.file));
  return out;
}

/**
 * Validate extra mirror prefixes (absolute http, https or file URLs).
 * `origin` names where they came from, e.g. 'STRATA_MIRRORS' or a strata.toml path.
 */
export function checkMirrorPrefixes(prefixes: readonly string[], origin: string, location?: SourceLocation): string[] {
  for (const p of prefixes) {
    let url: URL | undefined;
    try {
      url = new URL(p);
    } catch {
      url = undefined;
    }
    if (!url || !SUPPORTED_SCHEMES.includes(url.protocol)) {
      throw new StrataError('source/bad-mirror-prefix', `${origin}: mirror prefix '${p}' is not an absolute https, http or file URL`, {
        ...(location ? { location } : {}),
        hint: "write prefixes like 'https://mirror.example/sources' or 'file:///srv/sources'",
      });
    }
  }
  return [...prefixes];
}

/** $STRATA_MIRRORS: space-separated URL prefixes (empty or unset → none). */
export function mirrorsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const raw = env['STRATA_MIRRORS'] ?? '';
  const list = raw.split(/\s+/).filter((s) => s !== '');
  return checkMirrorPrefixes(list, 'STRATA_MIRRORS');
}
