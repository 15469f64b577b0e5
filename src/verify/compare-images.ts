/**
 * Image-level comparison: manifests, configs and the pairing of layers, over already-read
 * manifests and configs. Which layers need reading entry by entry follows from this
 * (status 'different', 'only-a', 'only-b'). Pure.
 */
import type { ImageConfig, ImageManifest } from '../oci/types.js';
import { compressionLayerNote } from './compression.js';
import { diffJson } from './json-diff.js';
import type { FieldDifference, ImageComparison, LayerComparison, LayerSide } from './types.js';

export interface ImageView {
  readonly label: string;
  readonly digest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
}

/** Manifest fields already explained by the config digest and the layer comparison. */
function explainedInManifest(path: string): boolean {
  return /^config\.(digest|size)$/.test(path) || /^layers\[\d+\](\.(digest|size))?$/.test(path);
}

/** Config fields explained by the layer comparison. */
function explainedInConfig(path: string): boolean {
  return /^rootfs\.diff_ids(\[\d+\])?$/.test(path);
}

function layerSide(m: ImageManifest, c: ImageConfig, i: number): LayerSide | undefined {
  const d = m.layers[i];
  if (!d) return undefined;
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, diffId: c.rootfs.diff_ids[i] ?? '' };
}

/** Pair layers by position and classify each pair without reading any layer. */
export function pairLayers(a: ImageView, b: ImageView): LayerComparison[] {
  const n = Math.max(a.manifest.layers.length, b.manifest.layers.length);
  const out: LayerComparison[] = [];
  for (let i = 0; i < n; i++) {
    const la = layerSide(a.manifest, a.config, i);
    const lb = layerSide(b.manifest, b.config, i);
    if (la && !lb) out.push({ index: i, status: 'only-a', a: la });
    else if (!la && lb) out.push({ index: i, status: 'only-b', b: lb });
    else if (la && lb) {
      const status = la.diffId !== lb.diffId ? 'different' : la.digest === lb.digest && la.mediaType === lb.mediaType ? 'identical' : 'recompressed';
      const note = status === 'recompressed' ? compressionLayerNote(la, lb) : undefined;
      out.push({ index: i, status, a: la, b: lb, ...(note ? { note } : {}) });
    }
  }
  return out;
}

/** Everything that can be said from manifests and configs alone. */
export function compareImageMetadata(a: ImageView, b: ImageView): ImageComparison {
  const labels = { a: { label: a.label, digest: a.digest }, b: { label: b.label, digest: b.digest } };
  if (a.digest === b.digest) return { ...labels, identical: true, manifest: [], config: [], layers: [] };
  const manifest: FieldDifference[] = diffJson(a.manifest, b.manifest).filter((d) => !explainedInManifest(d.path));
  const config: FieldDifference[] = diffJson(a.config, b.config).filter((d) => !explainedInConfig(d.path));
  const ca = a.manifest.config.digest;
  const cb = b.manifest.config.digest;
  const na = a.manifest.layers.length;
  const nb = b.manifest.layers.length;
  return {
    ...labels,
    identical: false,
    manifest,
    ...(ca !== cb ? { configDigest: { a: ca, b: cb } } : {}),
    config,
    ...(na !== nb ? { layerCount: { a: na, b: nb } } : {}),
    layers: pairLayers(a, b),
  };
}

/** True when the comparison found no difference at all. */
export function isIdentical(c: ImageComparison): boolean {
  return c.identical;
}
