/**
 * Telling a compression mismatch from a content mismatch (ADR 0157): two layers with the
 * same diff_id hold the same tar; when their media types differ too, only the layer
 * compression differs — typically digests made with `--layer-compression zstd` checked by
 * a verify run without it. Pure.
 */
import { MEDIA_TYPE_LAYER_TAR } from '../oci/types.js';
import type { ImageComparison, LayerSide } from './types.js';

/** The compressions strata builds (`--layer-compression`). */
const BUILDABLE = new Set(['gzip', 'zstd']);

/** A layer media type's compression: 'gzip', 'zstd', 'uncompressed', or the media type itself. */
export function layerCompressionName(mediaType: string): string {
  if (/[.+]gzip$/.test(mediaType)) return 'gzip';
  if (/[.+]zstd$/.test(mediaType)) return 'zstd';
  if (mediaType === MEDIA_TYPE_LAYER_TAR || mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return 'uncompressed';
  return mediaType;
}

/** The note of a layer whose two sides have the same diff_id and different media types. */
export function compressionLayerNote(a: LayerSide, b: LayerSide): string | undefined {
  if (a.diffId !== b.diffId || a.mediaType === b.mediaType) return undefined;
  return `only the compression differs: ${layerCompressionName(a.mediaType)} in A, ${layerCompressionName(b.mediaType)} in B (same files)`;
}

export interface CompressionOnly {
  /** The compression of A's (the recorded image's) differing layers. */
  readonly a: string;
  /** The compression of B's (the rebuilt image's) differing layers. */
  readonly b: string;
  /** Layer positions whose compression differs. */
  readonly layers: readonly number[];
}

/**
 * When two images differ only in the compression of some layers — same config, same layer
 * count, every layer the same tar (diff_id), the manifest differing only in layer media
 * types, digests and sizes, one compression on each side — what differs; else undefined.
 */
export function compressionOnlyDifference(c: ImageComparison): CompressionOnly | undefined {
  if (c.identical || c.configDigest || c.config.length || c.layerCount) return undefined;
  if (!c.manifest.every((d) => /^layers\[\d+\]\.mediaType$/.test(d.path))) return undefined;
  const as = new Set<string>();
  const bs = new Set<string>();
  const layers: number[] = [];
  for (const l of c.layers) {
    if (l.status === 'identical') continue;
    if (l.status !== 'recompressed' || !l.a || !l.b || l.a.mediaType === l.b.mediaType) return undefined;
    as.add(layerCompressionName(l.a.mediaType));
    bs.add(layerCompressionName(l.b.mediaType));
    layers.push(l.index);
  }
  if (layers.length === 0 || as.size !== 1 || bs.size !== 1) return undefined;
  return { a: [...as][0]!, b: [...bs][0]!, layers };
}

/**
 * What verify says about such a mismatch: the files are reproduced, only the compression
 * differs, and the flag that rebuilds with the recorded one.
 */
export function compressionMismatchNote(d: CompressionOnly, image: string): string {
  const which = d.layers.length === 1 ? `layer ${d.layers[0]}` : `layers ${d.layers.join(', ')}`;
  const head = `the files are reproduced (every diff_id and the config match); only the layer compression differs: the recorded image has ${d.a} layers, the rebuild made ${d.b} (${which})`;
  if (!BUILDABLE.has(d.a)) return `${head}; strata builds only gzip or zstd layers, so the recorded digest was not made by strata build`;
  if (d.a === 'gzip') return `${head}; the digests were made with gzip layers (the default): run 'strata verify ${image}' without --layer-compression ${d.b}`;
  return `${head}; the digests were made with --layer-compression ${d.a}: run 'strata verify --layer-compression ${d.a} ${image}'`;
}
