/**
 * Fetch sources into the cache (ADR 0031): for each distinct hash, try every candidate URL
 * in order; each body streams into a cache writer that hashes it, and is kept only if the
 * hash matches. Several sources run at once, up to `jobs`. Nothing here prints: callers
 * watch `onEvent` and read the results.
 */
import { SourceCache, shortHash } from './cache.js';
import { candidateUrls, type SourceSpec } from './mirrors.js';
import { transfer } from './transport.js';

export const DEFAULT_JOBS = 4;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_REDIRECTS = 5;
/** Larger than any source tarball a distribution needs; a guard against endless bodies. */
export const DEFAULT_MAX_BYTES = 8 * 1024 ** 3;

export interface FetchOptions {
  readonly cache: SourceCache;
  /** Extra prefixes tried after each source's own mirrors (`<prefix>/<file>`). */
  readonly mirrorPrefixes?: readonly string[];
  readonly jobs?: number;
  /** Use only the cache: missing sources fail without any network or file access. */
  readonly offline?: boolean;
  readonly idleTimeoutMs?: number;
  readonly maxRedirects?: number;
  /** undefined → DEFAULT_MAX_BYTES; null → no cap. */
  readonly maxBytes?: number | null;
  /** Extra trusted CA certificates (PEM) for https mirrors. */
  readonly ca?: string;
  readonly onEvent?: (e: FetchEvent) => void;
}

export interface Attempt {
  readonly url: string;
  /** undefined when this URL succeeded. */
  readonly reason?: string;
  /** Where the bytes finally came from, when redirects were followed. */
  readonly finalUrl?: string;
}

export type SourceStatus = 'cached' | 'fetched' | 'failed' | 'missing';

export interface SourceResult {
  readonly spec: SourceSpec;
  /** cached: was already there; fetched: downloaded now; failed: every URL failed; missing: offline and absent. */
  readonly status: SourceStatus;
  /** The candidate URL that succeeded (fetched only). */
  readonly url?: string;
  readonly bytes?: number;
  /** Every URL tried, in order (empty when cached or missing). */
  readonly attempts: readonly Attempt[];
}

export type FetchEvent =
  | { readonly type: 'start'; readonly key: string; readonly label: string }
  | { readonly type: 'url'; readonly key: string; readonly url: string }
  | { readonly type: 'bytes'; readonly key: string; readonly bytes: number }
  | { readonly type: 'finish'; readonly key: string; readonly results: readonly SourceResult[] };

interface Group {
  readonly hash: string;
  readonly specs: SourceSpec[];
}

function groupByHash(specs: readonly SourceSpec[]): Group[] {
  const byHash = new Map<string, Group>();
  for (const s of specs) {
    const g = byHash.get(s.hash);
    if (g) g.specs.push(s);
    else byHash.set(s.hash, { hash: s.hash, specs: [s] });
  }
  return [...byHash.values()];
}

/** Run `worker` over `items` with at most `limit` running at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Make every source present in the cache, or say why not. Results are in the order of
 * `specs`; sources sharing a hash are fetched once and share the outcome.
 */
export async function fetchSources(specs: readonly SourceSpec[], options: FetchOptions): Promise<SourceResult[]> {
  const { cache } = options;
  const prefixes = options.mirrorPrefixes ?? [];
  const maxBytes = options.maxBytes === null ? undefined : (options.maxBytes ?? DEFAULT_MAX_BYTES);
  const transportOpts = {
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    maxBytes,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
  const emit = options.onEvent ?? (() => {});
  const byHash = new Map<string, SourceResult[]>();

  await mapLimit(groupByHash(specs), options.jobs ?? DEFAULT_JOBS, async (g) => {
    const key = g.hash;
    const label = g.specs[0]!.file;
    const results = (status: SourceStatus, extra: Partial<SourceResult> = {}): SourceResult[] =>
      g.specs.map((spec) => ({ spec, status, attempts: [], ...extra }));
    let out: SourceResult[];
    if (await cache.has(g.hash)) {
      out = results('cached');
    } else if (options.offline) {
      out = results('missing');
    } else {
      emit({ type: 'start', key, label });
      const attempts: Attempt[] = [];
      out = [];
      for (const url of candidateUrls(g.specs, prefixes)) {
        emit({ type: 'url', key, url });
        const w = await cache.writer(g.hash);
        let r;
        try {
          r = await transfer(url, (chunk) => w.write(chunk), {
            ...transportOpts,
            onBytes: (n) => emit({ type: 'bytes', key, bytes: n }),
          });
        } catch (e) {
          await w.abort();
          throw e;
        }
        if (!r.ok) {
          await w.abort();
          attempts.push({ url, reason: r.reason });
          continue;
        }
        const c = await w.commit();
        if (!c.ok) {
          attempts.push({ url, reason: `sha256 mismatch (got ${shortHash(c.got)})` });
          continue;
        }
        const redirected = r.finalUrl !== url ? { finalUrl: r.finalUrl } : {};
        attempts.push({ url, ...redirected });
        out = results('fetched', { url, bytes: c.bytes, attempts });
        break;
      }
      if (out.length === 0) out = results('failed', { attempts });
    }
    byHash.set(g.hash, out);
    emit({ type: 'finish', key, results: out });
  });

  const cursor = new Map<string, number>();
  return specs.map((s) => {
    const i = cursor.get(s.hash) ?? 0;
    cursor.set(s.hash, i + 1);
    return byHash.get(s.hash)![i]!;
  });
}

/** The one line that explains a source that could not be had. */
export function describeFailure(r: SourceResult): string {
  const head = `${r.spec.owner}: ${r.spec.file} (sha256 ${shortHash(r.spec.hash)})`;
  if (r.status === 'missing') return `${head} is not in the cache and --offline forbids fetching it`;
  if (r.attempts.length === 0) return `${head} could not be fetched: it has no mirrors and no extra mirror prefixes are set`;
  return `${head} could not be fetched: ${r.attempts.map((a) => `${a.url} → ${a.reason ?? 'ok'}`).join('; ')}`;
}
