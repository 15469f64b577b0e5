/**
 * Layer capture and reuse: an upper directory becomes a deterministic tar (ADR 0092) →
 * pinned gzip → store blob; a stored layer is extracted once per digest into the layer
 * cache in overlayfs format (whiteouts as char 0/0, opaque directories marked) so that
 * later steps can stack on it.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Digest } from '../digest/digest.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR, type Descriptor } from '../oci/types.js';
import { ensureLayerDir } from '../sandbox/layer-cache.js';
import { makeWhiteout, markOpaque } from '../sandbox/native.js';
import type { FsEntry } from '../sandbox/types.js';
import { readUpper } from '../sandbox/upper.js';
import type { OciStore } from '../store/store.js';
import type { TarEntry } from '../tar/entry.js';
import { extractTar } from '../tar/extract.js';
import { writeLayer } from '../tar/layer.js';
import { fileSource } from '../tar/writer.js';
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
 * Store the changes in `upper` as one gzip layer. Returns undefined when the step changed
 * nothing (no layer, as BuildKit does).
 */
export async function captureLayer(upper: string, store: OciStore, epoch: number): Promise<CapturedLayer | undefined> {
  const entries = readUpper(upper);
  if (entries.length === 0) return undefined;
  const w = await store.openBlobWriter();
  let result;
  try {
    result = await writeLayer(entries.map(toTarEntry), w, { sourceDateEpoch: epoch });
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.commit({ digest: result.digest, size: result.size });
  return { descriptor: { mediaType: result.mediaType, digest: result.digest, size: result.size }, diffId: result.diffId };
}

/** The extracted (overlayfs-format) directory of a stored layer, extracting it on first use. */
export async function layerDir(cacheRoot: string, store: OciStore, layer: Descriptor): Promise<string> {
  return ensureLayerDir(cacheRoot, layer.digest, async (dir) => {
    let bytes: AsyncIterable<Uint8Array>;
    if (layer.mediaType === MEDIA_TYPE_LAYER_GZIP) {
      const gunzip = createGunzip();
      const src = Readable.from(store.streamBlob(layer.digest));
      src.on('error', (e) => gunzip.destroy(e));
      bytes = src.pipe(gunzip) as AsyncIterable<Uint8Array>;
    } else if (layer.mediaType === MEDIA_TYPE_LAYER_TAR) {
      bytes = store.streamBlob(layer.digest);
    } else {
      throw buildError('build/unsupported-layer', `layer ${layer.digest} has media type ${layer.mediaType}`, 'strata reads tar and tar+gzip layers');
    }
    await extractTar(bytes, dir, {
      label: `layer ${layer.digest}`,
      owners: 'keep',
      whiteouts: async (rel, kind) => {
        if (kind === 'whiteout') makeWhiteout(path.join(dir, rel));
        else markOpaque(rel === '' ? dir : path.join(dir, rel));
      },
    });
  });
}
