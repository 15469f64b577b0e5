/**
 * ADD: a local tar archive (plain, gzip, bzip2, xz, zstd — detected from the bytes, never
 * the name) is unpacked with the safe extractor into the destination directory, keeping
 * the archive's modes and owners; any other local file is copied like COPY; a URL is
 * served only from the source cache and only with `--checksum=sha256:<hex>` (ADR 0094).
 */
import { chmodSync, lchownSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../errors.js';
import type { SourceCache } from '../source/cache.js';
import { detectFileCompression, looksLikeTar, openDecompressed } from '../tar/decompress.js';
import { extractTar } from '../tar/extract.js';
import { ContextFs, type VirtualFile } from './context.js';
import { ArchiveXattrs } from './archive-xattrs.js';
import { copySources, destinationRel, newDirMeta, type CopyOptions, type UpperWriter } from './copy.js';
import { inputError } from './errors.js';
import { LayeredFs, resolveInRoot, type SourceFs } from './layered-fs.js';

/** True when the file is a tar archive, possibly compressed. */
export async function isTarArchive(file: string): Promise<boolean> {
  const compression = await detectFileCompression(file);
  const head = new Uint8Array(512);
  let n = 0;
  try {
    for await (const chunk of openDecompressed(file, compression)) {
      const take = Math.min(chunk.length, 512 - n);
      head.set(chunk.subarray(0, take), n);
      n += take;
      if (n >= 512) break;
    }
  } catch {
    return false;
  }
  return n === 512 && looksLikeTar(head);
}

export interface AddArchiveOptions {
  /** Receives build-log lines (the extended attributes an archive had that the layer drops). */
  readonly log?: (text: string) => void;
  /**
   * 'auto' (default): straight into the upper directory when the destination is empty
   * (ADR 0153), else the move path. 'move': always unpack to scratch and move (tests
   * compare the two).
   */
  readonly unpack?: 'auto' | 'move';
}

/** ADD of a local file: an archive is unpacked into `dest` (a directory), anything else is copied like COPY. */
export async function addArchiveOrFile(w: UpperWriter, ctx: SourceFs, rel: string, dest: string, base: Omit<CopyOptions, 'context'>, workRoot: string,
  opts: AddArchiveOptions = {}): Promise<void> {
  const node = ctx.node(rel)!;
  if (node.kind !== 'file' || !(await isTarArchive(node.abs))) {
    copySources(w, ctx, [rel], dest, { ...base, context: true });
    return;
  }
  const destDir = dest.endsWith('/') ? dest : `${dest}/`;
  const xattrs = new ArchiveXattrs(rel, base.location);
  const target = (opts.unpack ?? 'auto') === 'auto' && base.owner === undefined && base.chmod === undefined ? emptyDestination(w, destDir) : undefined;
  if (target) await extractIntoUpper(w, node.abs, rel, target, base, xattrs);
  else await extractThenMove(w, node.abs, rel, destDir, base, workRoot, xattrs);
  const note = xattrs.note();
  if (note) opts.log?.(note);
}

/**
 * The directory copySources would put the archive's contents in (`dest` ends in '/'),
 * when nothing is there yet in the stage: missing, or an empty directory (possibly named
 * by a symlink). Undefined otherwise (a file, a directory with contents, a dangling
 * symlink): then the per-entry merge rules of the copy engine apply.
 */
export function emptyDestination(w: UpperWriter, dest: string): { rel: string; existed: boolean } | undefined {
  const rel = destinationRel(w, dest);
  const existing = w.view.node(rel);
  if (!existing) return rel === '' ? undefined : { rel, existed: false };
  // a symlink to a directory: copySources places the contents in the directory it names
  const dir = existing.kind === 'symlink' ? resolveInRoot(w.view, rel, true) : rel;
  if ((dir === rel ? existing : w.view.node(dir))?.kind === 'dir' && w.view.list(dir).length === 0) return { rel: dir, existed: true };
  return undefined;
}

/**
 * Direct path (ADR 0153): the safe extractor writes straight into the upper directory's
 * `target`, which has nothing below it in any layer, so no entry can meet a lower file,
 * a lower symlink or an earlier write of this step: the result is what extracting to a
 * scratch directory and moving every entry in would give, without the scratch directory
 * and one rename, chown, chmod and utimes per entry. The archive's root entry sets only
 * a new destination's owner and mode, as the move path does.
 */
async function extractIntoUpper(w: UpperWriter, file: string, rel: string, target: { rel: string; existed: boolean }, base: Omit<CopyOptions, 'context'>, xattrs: ArchiveXattrs): Promise<void> {
  const up = (r: string): string => (r === '' ? w.upper : path.join(w.upper, r));
  // the first component of target not yet in the upper dir: what ensureDir creates
  const parts = target.rel === '' ? [] : target.rel.split('/');
  let created: string | undefined;
  for (let i = 1; i <= parts.length && created === undefined; i++) {
    const r = parts.slice(0, i).join('/');
    if (!lstatSync(up(r), { throwIfNoEntry: false })) created = r;
  }
  if (target.rel.includes('/')) w.ensureDir(target.rel.slice(0, target.rel.lastIndexOf("/")), newDirMeta({ ...base, context: false }));
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  w.ensureDir(target.rel, { mode: 0o755, uid, gid });
  let written = 0;
  const r = await extractTar(openDecompressed(file), up(target.rel), {
    label: rel,
    owners: 'keep',
    fifos: 'reject',
    rootMeta: 'skip',
    onEntry: (entry, h, abs) => {
      if (entry === '') return; // the root's attributes are not carried, as on the move path
      written++;
      xattrs.onEntry(entry, h, abs);
    },
  });
  w.view.invalidate();
  if (!target.existed) {
    // a new destination: 0755 and the unpacker's owner, or the archive's root entry's
    const root = up(target.rel);
    lchownSync(root, r.rootHeader?.uid ?? uid, r.rootHeader?.gid ?? gid);
    chmodSync(root, r.rootHeader?.mode ?? 0o755);
  } else if (written === 0 && created !== undefined) {
    // nothing to place into an existing directory: the move path copies nothing up
    rmSync(up(created), { recursive: true, force: true });
    w.view.invalidate();
  }
}

/** Move path: unpack to a scratch directory, then place every entry with the copy engine's rules. */
async function extractThenMove(w: UpperWriter, file: string, rel: string, destDir: string, base: Omit<CopyOptions, 'context'>, workRoot: string, xattrs: ArchiveXattrs): Promise<void> {
  const dir = mkdtempSync(path.join(workRoot, 'add-'));
  try {
    // the unpack root stands for a destination the ADD creates: 0755, not mkdtemp's 0700
    // (an archive entry for '.' still sets it, as in Docker)
    chmodSync(dir, 0o755);
    await extractTar(openDecompressed(file), dir, { label: rel, owners: 'keep', fifos: 'reject', onEntry: xattrs.onEntry });
    const fs = new LayeredFs([dir], `archive '${rel}'`);
    // the unpacked files are this step's scratch: moved into the upper dir, not copied again
    copySources(w, fs, [''], destDir, { ...base, context: false, move: true, carryXattrs: xattrs.applied > 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function addUrl(w: UpperWriter, url: string, checksum: string | undefined, cache: SourceCache, dest: string, o: CopyOptions, location: SourceLocation): Promise<void> {
  const m = checksum === undefined ? undefined : /^sha256:([0-9a-f]{64})$/.exec(checksum);
  if (!m) {
    throw inputError('build/add-url-checksum', checksum === undefined ? `ADD ${url} has no --checksum` : `--checksum=${checksum} is not sha256:<64 hex>`,
      'strata builds offline: give --checksum=sha256:<hex> and make the file a [sources] entry so it is fetched into the cache', location);
  }
  const hash = m[1]!;
  if (!(await cache.has(hash))) {
    throw inputError('build/add-url-not-cached', `ADD ${url}: sha256 ${hash.slice(0, 12)}… is not in the source cache`,
      'declare the file as a [sources] entry with that hash and run strata fetch', location);
  }
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'download');
  const v: VirtualFile = { rel: name, abs: cache.path(hash), sha256: hash, size: 0 };
  const fs = new ContextFs(path.dirname(cache.path(hash)), [v]);
  copySources(w, fs, [name], dest, { ...o, context: true, chmod: o.chmod ?? 0o600 });
}
