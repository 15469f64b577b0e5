/**
 * Move sources to an air-gapped builder (ADR 0032).
 *
 * An export directory has the cache's layout (`sha256/<hex>`) plus a manifest,
 * `strata-sources.txt`: a comment header, then one line per source,
 * `<64 hex> <size> <file>`, sorted by file name then hash. Import trusts nothing in the
 * directory: each listed file is re-hashed as it is copied into the cache and kept only if
 * it matches its line; everything else is rejected with a reason.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { SHA256_HEX, SourceCache, shortHash } from './cache.js';

export const MANIFEST_NAME = 'strata-sources.txt';
const MANIFEST_HEADER = '# strata source export v1: <sha256> <size> <file>';

export interface ManifestEntry {
  readonly hash: string;
  readonly size: number;
  readonly file: string;
}

export interface ExportReport {
  readonly dir: string;
  readonly entries: readonly ManifestEntry[];
}

export interface ImportedEntry extends ManifestEntry {
  /** True when the cache already had it (it was still verified). */
  readonly alreadyPresent: boolean;
}

export interface Rejected {
  /** Path relative to the import directory. */
  readonly path: string;
  readonly reason: string;
}

export interface ImportReport {
  readonly imported: readonly ImportedEntry[];
  readonly rejected: readonly Rejected[];
}

/** A file name as it may appear in the manifest and in `fetch/<file>`. */
export function isSafeFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0\n\r]/.test(name);
}

export function formatManifest(entries: readonly ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0,
  );
  return [MANIFEST_HEADER, ...sorted.map((e) => `${e.hash} ${e.size} ${e.file}`)].join('\n') + '\n';
}

/** Parse a manifest; malformed lines are input errors with file:line:col. */
export function parseManifest(text: string, shownPath: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const sizes = new Map<string, number>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const loc = (col: number) => ({ file: shownPath, line: i + 1, col });
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = /^(\S+) (\S+) (.+)$/.exec(line);
    if (!m) {
      throw new StrataError('source/bad-manifest-line', `expected '<sha256> <size> <file>', got '${line}'`, {
        location: loc(1),
        hint: `${MANIFEST_NAME} is written by 'strata fetch --export'; re-export rather than editing it`,
      });
    }
    const [, hash, size, file] = m as unknown as [string, string, string, string];
    if (!SHA256_HEX.test(hash)) {
      throw new StrataError('source/bad-manifest-hash', `'${hash}' is not 64 lower-case hex digits`, {
        location: loc(1),
        hint: 'each line starts with the sha256 of the file',
      });
    }
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) {
      throw new StrataError('source/bad-manifest-size', `'${size}' is not a byte count`, {
        location: loc(hash.length + 2),
        hint: 'the second field is the file size in bytes',
      });
    }
    if (!isSafeFileName(file)) {
      throw new StrataError('source/bad-manifest-file', `'${file}' is not a plain file name`, {
        location: loc(hash.length + size.length + 3),
        hint: 'file names may not contain slashes or be . or ..',
      });
    }
    const prev = sizes.get(hash);
    if (prev !== undefined && prev !== Number(size)) {
      throw new StrataError('source/bad-manifest-size', `sha256 ${shortHash(hash)} is listed with sizes ${prev} and ${size}`, {
        location: loc(hash.length + 2),
        hint: 'one hash has one size; re-export the directory',
      });
    }
    sizes.set(hash, Number(size));
    const key = `${hash} ${file}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ hash, size: Number(size), file });
  });
  return entries;
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length === 0;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTDIR') return false;
    throw e;
  }
}

/** An export goes into a new or empty directory; anything else is an input error. */
export async function checkExportDir(dir: string): Promise<void> {
  if (!(await isEmptyOrAbsent(dir))) {
    throw new StrataError('source/export-dir-not-empty', `export directory ${dir} is not empty`, {
      hint: 'export into a new or empty directory',
    });
  }
}

/**
 * Copy the given sources from the cache into `dir` (which must be new or empty) and write
 * the manifest last. Every blob is re-hashed on the way out. Throws a check failure
 * (exit 1) naming the sources the cache lacks or holds corrupt, having written nothing.
 */
export async function exportSources(
  cache: SourceCache,
  sources: readonly { readonly hash: string; readonly file: string }[],
  dir: string,
): Promise<ExportReport> {
  await checkExportDir(dir);
  const missing = [];
  for (const s of sources) if (!(await cache.has(s.hash))) missing.push(s);
  if (missing.length > 0) {
    throw new StrataError(
      'source/export-missing',
      `cannot export: not in the cache: ${missing.map((s) => `${s.file} (sha256 ${shortHash(s.hash)})`).join(', ')}`,
      { kind: 'check', hint: "run 'strata fetch' without --offline first" },
    );
  }
  const out = new SourceCache(dir);
  const sizes = new Map<string, number>();
  try {
    for (const s of sources) {
      if (sizes.has(s.hash)) continue;
      const r = await out.putFile(cache.path(s.hash), s.hash);
      if (!r.ok) {
        throw new StrataError('source/cache-corrupt', `cached ${s.file} (sha256 ${shortHash(s.hash)}) is corrupt: it hashes to ${shortHash(r.got)}`, {
          kind: 'check',
          hint: "run 'strata fetch --recheck' to remove it and fetch it again",
        });
      }
      sizes.set(s.hash, r.bytes);
    }
  } catch (e) {
    await fsp.rm(path.join(dir, 'sha256'), { recursive: true, force: true });
    throw e;
  }
  const seen = new Set<string>();
  const entries: ManifestEntry[] = [];
  for (const s of sources) {
    const key = `${s.hash} ${s.file}`;
    if (seen.has(key)) continue;
    seen.add(key);
    entries.push({ hash: s.hash, size: sizes.get(s.hash)!, file: s.file });
  }
  const tmp = path.join(dir, `.${MANIFEST_NAME}.tmp`);
  await fsp.writeFile(tmp, formatManifest(entries));
  await fsp.rename(tmp, path.join(dir, MANIFEST_NAME));
  return { dir, entries: [...entries].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)) };
}

/**
 * Import an export directory into the cache. The manifest is parsed completely first (a
 * malformed one is an input error and nothing is imported); then each listed blob is
 * verified while copied. Unlisted, mis-sized, missing or mismatching files are rejected.
 */
export async function importSources(cache: SourceCache, dir: string, shownDir: string = dir): Promise<ImportReport> {
  const manifestPath = path.join(dir, MANIFEST_NAME);
  const shownManifest = path.join(shownDir, MANIFEST_NAME);
  let text: string;
  try {
    text = await fsp.readFile(manifestPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StrataError(
      'source/no-manifest',
      code === 'ENOENT' ? `${shownDir} has no ${MANIFEST_NAME}` : `cannot read ${shownManifest} (${code ?? String(e)})`,
      { hint: "import a directory written by 'strata fetch --export DIR'" },
    );
  }
  const entries = parseManifest(text, shownManifest);
  const listed = new Map<string, ManifestEntry>();
  for (const e of entries) if (!listed.has(e.hash)) listed.set(e.hash, e);

  const rejected: Rejected[] = [];
  const imported: ImportedEntry[] = [];
  for (const name of (await fsp.readdir(dir)).sort()) {
    if (name !== MANIFEST_NAME && name !== 'sha256') rejected.push({ path: name, reason: 'not part of a strata export' });
  }
  let blobNames: string[] = [];
  try {
    blobNames = (await fsp.readdir(path.join(dir, 'sha256'))).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const name of blobNames) {
    if (!listed.has(name)) rejected.push({ path: `sha256/${name}`, reason: `not listed in ${MANIFEST_NAME}` });
  }
  const good = new Set<string>();
  for (const [hash, entry] of listed) {
    const rel = `sha256/${hash}`;
    const file = path.join(dir, 'sha256', hash);
    let st;
    try {
      st = await fsp.lstat(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      rejected.push({ path: rel, reason: `listed for ${entry.file} but missing` });
      continue;
    }
    if (!st.isFile()) {
      rejected.push({ path: rel, reason: 'not a regular file' });
      continue;
    }
    if (st.size !== entry.size) {
      rejected.push({ path: rel, reason: `${entry.file}: size ${st.size}, manifest says ${entry.size}` });
      continue;
    }
    const already = await cache.has(hash);
    const r = await cache.putFile(file, hash);
    if (!r.ok) {
      rejected.push({ path: rel, reason: `${entry.file}: sha256 mismatch (got ${shortHash(r.got)})` });
      continue;
    }
    good.add(hash);
    imported.push({ ...entry, alreadyPresent: already });
  }
  // Every manifest line whose blob was good is imported, including extra names for a hash.
  for (const e of entries) {
    if (good.has(e.hash) && !imported.some((i) => i.hash === e.hash && i.file === e.file)) {
      imported.push({ ...e, alreadyPresent: imported.find((i) => i.hash === e.hash)!.alreadyPresent });
    }
  }
  imported.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.hash < b.hash ? -1 : 1));
  rejected.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { imported, rejected };
}
