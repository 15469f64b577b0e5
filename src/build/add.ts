/**
 * ADD: a local tar archive (plain, gzip, bzip2, xz, zstd — detected from the bytes, never
 * the name) is unpacked with the safe extractor into the destination directory, keeping
 * the archive's modes and owners; any other local file is copied like COPY; a URL is
 * served only from the source cache and only with `--checksum=sha256:<hex>` (ADR 0094).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../errors.js';
import type { SourceCache } from '../source/cache.js';
import { detectFileCompression, looksLikeTar, openDecompressed } from '../tar/decompress.js';
import { extractTar } from '../tar/extract.js';
import { ContextFs, type VirtualFile } from './context.js';
import { copySources, type CopyOptions, type UpperWriter } from './copy.js';
import { inputError } from './errors.js';
import { LayeredFs, type SourceFs } from './layered-fs.js';

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

export async function addArchiveOrFile(w: UpperWriter, ctx: SourceFs, rel: string, dest: string, base: Omit<CopyOptions, 'context'>, workRoot: string): Promise<void> {
  const node = ctx.node(rel)!;
  if (node.kind !== 'file' || !(await isTarArchive(node.abs))) {
    copySources(w, ctx, [rel], dest, { ...base, context: true });
    return;
  }
  const dir = mkdtempSync(path.join(workRoot, 'add-'));
  try {
    // the unpack root stands for a destination the ADD creates: 0755, not mkdtemp's 0700
    // (an archive entry for '.' still sets it, as in Docker)
    chmodSync(dir, 0o755);
    await extractTar(openDecompressed(node.abs), dir, { label: rel, owners: 'keep' });
    const fs = new LayeredFs([dir], `archive '${rel}'`);
    // the unpacked files are this step's scratch: moved into the upper dir, not copied again
    copySources(w, fs, [''], dest.endsWith('/') ? dest : `${dest}/`, { ...base, context: false, move: true });
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
