/**
 * `strata export --layer-compression gzip|zstd` (ADR 0169): rewrite the layers of an
 * exported one-image OCI layout in the other pinned compression. The tar bytes do not
 * change (each is checked against the config's diff_id), the config does not change,
 * the manifest gets the new layer descriptors — so the result is byte for byte the image
 * `strata build --layer-compression <same>` makes from the same tree.
 */
import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Digest, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { canonicalJsonBytes } from '../oci/canonical-json.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_ZSTD, type Descriptor, type ImageIndex } from '../oci/types.js';
import { parseImageConfig, parseIndex, parseManifest } from '../oci/validate.js';
import { layerTarBytes } from '../tar/decompress.js';
import { compressLayerStream, type CompressedLayer } from '../tar/layer.js';
import { replaceFileAtomically } from './atomic-file.js';
import { exportImage } from './export.js';
import { BLOBS_DIR, blobPath, INDEX_FILE } from './paths.js';
import type { OciStore } from './store.js';

export type PinnedLayerCompression = 'gzip' | 'zstd';

const MEDIA: Record<PinnedLayerCompression, string> = { gzip: MEDIA_TYPE_LAYER_GZIP, zstd: MEDIA_TYPE_LAYER_ZSTD };

function uncompressed(file: string, mediaType: string, label: string): AsyncIterable<Uint8Array> {
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  const tar = layerTarBytes(src, mediaType, label);
  if (tar) return tar;
  src.destroy();
  throw new StrataError('store/unsupported-layer', `${label} has media type ${mediaType}`, {
    hint: 'only tar, tar+gzip and tar+zstd layers can be recompressed',
    kind: 'input',
  });
}

/** Recompress one layer blob of `dir` into a new blob; checks the tar against `diffId`. */
async function recompressLayer(dir: string, layer: Descriptor, diffId: string, to: PinnedLayerCompression): Promise<Descriptor> {
  const label = `layer ${layer.digest}`;
  const tmp = path.join(dir, BLOBS_DIR, `.recompress-${process.pid}.partial`);
  const fh = await open(tmp, 'w', 0o644);
  let r: CompressedLayer;
  try {
    // the builder's own tar → compressor pipeline, so the blob is the one a build makes
    const sink = { write: async (c: Uint8Array): Promise<void> => { await fh.write(c); } };
    r = await compressLayerStream(uncompressed(blobPath(dir, layer.digest), layer.mediaType, label), sink, to);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  if (r.diffId !== diffId) {
    await rm(tmp, { force: true });
    throw new StrataError('store/diff-id-mismatch', `${label} uncompresses to ${r.diffId}, but the config says ${diffId}`, {
      hint: "the image is damaged; run 'strata fsck' and rebuild it",
      kind: 'check',
    });
  }
  await rename(tmp, blobPath(dir, r.digest));
  return { mediaType: r.mediaType, digest: r.digest, size: r.size };
}

/**
 * Rewrite the one image of the OCI layout `dir` (as `exportImage` wrote it) with every
 * layer in `to` compression. Returns the new manifest descriptor (the old one when
 * nothing needed recompressing). Blobs no longer referenced are removed.
 */
export async function recompressLayout(dir: string, to: PinnedLayerCompression): Promise<Descriptor> {
  const indexFile = path.join(dir, INDEX_FILE);
  const index = parseIndex(await readFile(indexFile), indexFile);
  if (index.manifests.length !== 1) throw new Error(`recompressLayout: ${dir} holds ${index.manifests.length} manifests, expected 1`);
  const old = index.manifests[0]!;
  const manifest = parseManifest(await readFile(blobPath(dir, old.digest)), old.digest);
  const config = parseImageConfig(await readFile(blobPath(dir, manifest.config.digest)), manifest.config.digest);
  if (manifest.layers.every((l) => l.mediaType === MEDIA[to])) return old;
  const layers: Descriptor[] = [];
  const replaced = new Set<Digest>();
  for (const [i, l] of manifest.layers.entries()) {
    if (l.mediaType === MEDIA[to]) {
      layers.push(l);
      continue;
    }
    layers.push(await recompressLayer(dir, l, config.rootfs.diff_ids[i] ?? '', to));
    replaced.add(l.digest);
  }
  const bytes = canonicalJsonBytes({ ...manifest, layers });
  const digest: Digest = sha256Digest(bytes);
  await writeFile(blobPath(dir, digest), bytes, { mode: 0o644 });
  const desc: Descriptor = { ...old, digest, size: bytes.length };
  const newIndex: ImageIndex = { ...index, manifests: [desc] };
  await replaceFileAtomically(indexFile, canonicalJsonBytes(newIndex), { tmp: `${indexFile}.${process.pid}.tmp` });
  const kept = new Set<Digest>([digest, manifest.config.digest, ...layers.map((l) => l.digest)]);
  for (const d of [old.digest, ...replaced]) if (!kept.has(d)) await rm(blobPath(dir, d), { force: true });
  return desc;
}

/**
 * `exportImage`, then, with `to`, `recompressLayout`. If recompressing fails, what the
 * export wrote is removed again (the directory was new or empty), so a failed export
 * leaves nothing behind.
 */
export async function exportImageAs(store: OciStore, ref: string, dir: string, to?: PinnedLayerCompression): Promise<Descriptor> {
  const existed = existsSync(dir);
  const stored = await exportImage(store, ref, dir);
  if (to === undefined) return stored;
  try {
    return await recompressLayout(dir, to);
  } catch (e) {
    if (existed) for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true, force: true });
    else await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
