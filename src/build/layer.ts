/**
 * Layer capture and reuse: an upper directory becomes a deterministic tar (ADR 0092) →
 * pinned gzip → store blob; a stored layer is extracted once per digest into the layer
 * cache in overlayfs format (whiteouts as char 0/0, opaque directories marked) so that
 * later steps can stack on it.
 */
import { chmodSync, lstatSync, lutimesSync, readdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Digest } from '../digest/digest.js';
import type { Descriptor } from '../oci/types.js';
import { ensureLayerDir } from '../sandbox/layer-cache.js';
import { makeWhiteout, markOpaque, readXattrs } from '../sandbox/native.js';
import type { FsEntry } from '../sandbox/types.js';
import { readUpper } from '../sandbox/upper.js';
import type { OciStore } from '../store/store.js';
import type { TarEntry } from '../tar/entry.js';
import { layerTarBytes } from '../tar/decompress.js';
import { extractTar } from '../tar/extract.js';
import { sharedDeflatePool } from '../tar/deflate-pool.js';
import { writeLayer, type LayerCompression } from '../tar/layer.js';
import { clampMtime } from '../tar/prepare.js';
import { fileSource } from '../tar/writer.js';
import { ArchiveXattrs } from './archive-xattrs.js';
import { buildError } from './errors.js';
import path from 'node:path';

export interface CapturedLayer {
  readonly descriptor: Descriptor;
  readonly diffId: Digest;
}

/** FsEntry (upper-dir reader) → TarEntry (tar writer). */
export function toTarEntry(e: FsEntry): TarEntry {
  const base = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
  const xattrs = e.xattrs ? { xattrs: Object.fromEntries(e.xattrs.map(([k, v]) => [k, new Uint8Array(v)])) } : {};
  switch (e.kind) {
    case 'whiteout': {
      const dir = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/') + 1) : '';
      return { path: dir + e.path.slice(dir.length + '.wh.'.length), type: 'whiteout' };
    }
    case 'opaque':
      return { path: e.path.slice(0, e.path.lastIndexOf('/')), type: 'opaque' };
    case 'file':
      return { ...base, ...xattrs, path: e.path, type: 'file', size: e.size, content: fileSource(e.sourcePath!) };
    case 'hardlink':
      return { ...base, path: e.path, type: 'hardlink', linkname: e.linkTarget! };
    case 'symlink':
      return { ...base, ...xattrs, path: e.path, type: 'symlink', linkname: e.linkTarget! };
    case 'dir':
      return { ...base, ...xattrs, path: e.path, type: 'dir' };
    case 'char':
    case 'block':
      return { ...base, path: e.path, type: e.kind, devmajor: e.devMajor ?? 0, devminor: e.devMinor ?? 0 };
    case 'fifo':
      return { ...base, path: e.path, type: 'fifo' };
  }
}

/**
 * A gzip layer at least this large (uncompressed) is followed by extraction of as many
 * bytes, long enough that the idle deflate workers are better stopped first (ADR 0184):
 * restarting them costs ~70 ms of CPU, under 2 % of compressing 128 MiB.
 */
export const RELEASE_DEFLATE_WORKERS_AFTER = 128 * 1024 * 1024;

/** Whether the deflate workers are stopped after capturing a layer (ADR 0184). */
export function releaseWorkersAfter(compression: LayerCompression, uncompressedSize: number): boolean {
  return compression === 'gzip' && uncompressedSize >= RELEASE_DEFLATE_WORKERS_AFTER;
}

/**
 * Store the changes in `upper` as one gzip (or, with --layer-compression zstd, zstd)
 * layer. Returns undefined when the step changed nothing (no layer, as BuildKit does).
 */
export async function captureLayer(upper: string, store: OciStore, epoch: number, compression: LayerCompression = 'gzip'): Promise<CapturedLayer | undefined> {
  const entries = readUpper(upper);
  if (entries.length === 0) return undefined;
  const w = await store.openBlobWriter();
  let result;
  try {
    result = await writeLayer(entries.map(toTarEntry), w, { sourceDateEpoch: epoch, compression });
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.commit({ digest: result.digest, size: result.size });
  if (releaseWorkersAfter(compression, result.uncompressedSize)) sharedDeflatePool().releaseIdle();
  return { descriptor: { mediaType: result.mediaType, digest: result.digest, size: result.size }, diffId: result.diffId };
}

/** The extracted (overlayfs-format) directory of a stored layer, extracting it on first use. */
export async function layerDir(cacheRoot: string, store: OciStore, layer: Descriptor): Promise<string> {
  return ensureLayerDir(cacheRoot, layer.digest, (dir) => extractLayerInto(dir, store, layer));
}

/**
 * The layer directory of a layer a COPY/ADD step just captured from `upper`: the upper
 * directory itself, moved into the layer cache, once it is made exactly what extracting
 * the stored blob would give (ADR 0146) — mtimes whole seconds clamped to the epoch
 * (atime = mtime), as the tar has them. Saves writing every byte of the layer a second
 * time. An upper holding anything extraction would render differently (extended
 * attributes, device nodes, FIFOs, sockets) is extracted from the blob as usual.
 */
export async function adoptUpperAsLayerDir(cacheRoot: string, store: OciStore, layer: Descriptor, upper: string, epoch: number): Promise<string> {
  return ensureLayerDir(cacheRoot, layer.digest, async (dir) => {
    if (settleAsExtracted(upper, epoch)) {
      // rename(2) replaces the empty directory ensureLayerDir made
      await rename(upper, dir);
      return;
    }
    await extractLayerInto(dir, store, layer);
  });
}

/**
 * Make `root` (a COPY/ADD upper dir) look as extracting its layer would: every entry's
 * atime and mtime = its tar mtime (whole seconds, clamped to `epoch`), the root 0755.
 * Returns false, having changed nothing it matters to, when an entry would not come back
 * the same from the tar (xattrs are not restored by extraction; special files).
 */
export function settleAsExtracted(root: string, epoch: number): boolean {
  const todo: [string, number][] = [];
  const walk = (dir: string): boolean => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = lstatSync(p, { bigint: true });
      if (!(st.isFile() || st.isDirectory() || st.isSymbolicLink())) return false;
      if (readXattrs(p).length > 0) return false;
      todo.push([p, clampMtime(Math.floor(Number(st.mtimeNs / 1000n) / 1e6), epoch)]);
      if (st.isDirectory() && !walk(p)) return false;
    }
    return true;
  };
  if (readXattrs(root).length > 0 || !walk(root)) return false;
  for (const [p, t] of todo) lutimesSync(p, t, t);
  chmodSync(root, 0o755);
  return true;
}

async function extractLayerInto(dir: string, store: OciStore, layer: Descriptor): Promise<void> {
  {
    const bytes = layerTarBytes(store.streamBlob(layer.digest), layer.mediaType, `layer ${layer.digest}`);
    if (!bytes) throw buildError('build/unsupported-layer', `layer ${layer.digest} has media type ${layer.mediaType}`, 'strata reads tar, tar+gzip and tar+zstd layers');
    // the layer's kept attributes (user.*, security.capability) are restored, so later
    // steps see them as they would in Docker (ADR 0172)
    const xattrs = new ArchiveXattrs(`layer ${layer.digest}`, { file: store.blobPath(layer.digest) });
    await extractTar(bytes, dir, {
      label: `layer ${layer.digest}`,
      owners: 'keep',
      onEntry: xattrs.onEntry,
      whiteouts: async (rel, kind) => {
        if (kind === 'whiteout') makeWhiteout(path.join(dir, rel));
        else markOpaque(rel === '' ? dir : path.join(dir, rel));
      },
    });
  }
}
