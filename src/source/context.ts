/**
 * For the builder: where a package's fetched sources are, so its build context can show
 * them as `fetch/<file>` (DESIGN §2).
 */
import { StrataError } from '../errors.js';
import type { PackageDef } from '../tree/types.js';
import { hashFile, shortHash, SourceCache } from './cache.js';

export interface FetchedFile {
  /** The name in the build context, under `fetch/`. */
  readonly file: string;
  /** The cached blob. */
  readonly path: string;
  readonly hash: string;
}

/**
 * The cached files of every source of `pkg`, sorted by file name. A source that is not in
 * the cache is a build failure naming it (with `verify`, so is one whose bytes no longer
 * match — it is removed). Two sources with one file name but different hashes are an input
 * error: the build context could hold only one of them.
 */
export async function fetchedFiles(pkg: PackageDef, cache: SourceCache, opts: { verify?: boolean } = {}): Promise<FetchedFile[]> {
  const byFile = new Map<string, FetchedFile>();
  const missing: string[] = [];
  for (const s of pkg.sources) {
    const prev = byFile.get(s.file);
    if (prev && prev.hash !== s.hash) {
      throw new StrataError('source/file-name-clash', `two sources of ${pkg.id} are both named '${s.file}' but have different hashes`, {
        location: s.location,
        hint: "give one of them another name with 'file = \"…\"'",
      });
    }
    if (!(await cache.has(s.hash))) {
      missing.push(`${s.file} (sha256 ${shortHash(s.hash)})`);
      continue;
    }
    const p = cache.path(s.hash);
    if (opts.verify) {
      const { hash } = await hashFile(p);
      if (hash !== s.hash) {
        await cache.recheck();
        missing.push(`${s.file} (sha256 ${shortHash(s.hash)}, cached copy was corrupt and is removed)`);
        continue;
      }
    }
    byFile.set(s.file, { file: s.file, path: p, hash: s.hash });
  }
  if (missing.length > 0) {
    throw new StrataError('source/not-fetched', `${pkg.id}: sources not in the cache: ${missing.join(', ')}`, {
      kind: 'build',
      hint: `run 'strata fetch ${pkg.id}' first`,
    });
  }
  return [...byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
