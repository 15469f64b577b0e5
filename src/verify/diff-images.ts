/**
 * The comparison engine: two images in, one ImageComparison out. Manifests and configs
 * first; then only the layers whose diff_ids differ (or that one image lacks) are read,
 * one pair at a time, as entry indexes (headers kept, contents hashed); small text files
 * whose content differs are read a second time to show a line diff.
 */
import { StrataError } from '../errors.js';
import { compareEntries, textDiffCandidates } from './compare-entries.js';
import { compareImageMetadata } from './compare-images.js';
import { openImage, type ImageHandle } from './image-source.js';
import { indexLayer, type IndexedLayer } from './layer-index.js';
import { unifiedDiff } from './text-diff.js';
import type { ImageComparison, LayerComparison, LayerIndex, PathDifference } from './types.js';

export interface DiffOptions {
  /** Most text diffs shown per layer (default 20). */
  readonly maxTextDiffsPerLayer?: number;
  /** Most unified-diff lines per file (default 40). */
  readonly maxDiffLines?: number;
}

const EMPTY: LayerIndex = { entries: [], duplicates: [] };

async function readLayer(img: ImageHandle, i: number, keep?: ReadonlySet<string>): Promise<IndexedLayer> {
  const expected = img.config.rootfs.diff_ids[i];
  const label = `${img.label} layer ${i}`;
  const got = await indexLayer(img.layerStream(i), label, keep);
  if (expected !== undefined && got.diffId !== expected) {
    throw new StrataError('verify/corrupt-layer', `${label}: uncompressed content hashes to ${got.diffId}, but the config says ${expected}`, {
      location: { file: img.layoutDir },
      hint: 'the layout is damaged or inconsistent: run strata fsck, then rebuild or re-pull the image',
      kind: 'check',
    });
  }
  return got;
}

const dec = new TextDecoder();

async function explainLayer(a: ImageHandle, b: ImageHandle, layer: LayerComparison, opts: DiffOptions): Promise<LayerComparison> {
  const ia = layer.a ? await readLayer(a, layer.index) : undefined;
  const ib = layer.b ? await readLayer(b, layer.index) : undefined;
  const xa = ia?.index ?? EMPTY;
  const xb = ib?.index ?? EMPTY;
  const cmp = compareEntries(xa, xb);
  let paths: PathDifference[] = cmp.paths;
  const wanted = textDiffCandidates(paths, xa, xb, opts.maxTextDiffsPerLayer ?? 20);
  if (wanted.length && ia && ib) {
    const keep = new Set(wanted);
    const ca = (await readLayer(a, layer.index, keep)).contents;
    const cb = (await readLayer(b, layer.index, keep)).contents;
    paths = paths.map((d) => {
      const ta = ca.get(d.path);
      const tb = cb.get(d.path);
      if (!keep.has(d.path) || !ta || !tb) return d;
      return { ...d, textDiff: unifiedDiff(dec.decode(ta), dec.decode(tb), opts.maxDiffLines) };
    });
  }
  let note: string | undefined;
  if (layer.status === 'different' && paths.length === 0 && !cmp.order) {
    note = 'the entries are equal but the tar bytes differ (header encoding, padding or end-of-archive blocks)';
  }
  return {
    ...layer,
    ...(ia ? { entriesA: xa.entries.length } : {}),
    ...(ib ? { entriesB: xb.entries.length } : {}),
    paths,
    ...(cmp.omittedPaths ? { omittedPaths: cmp.omittedPaths } : {}),
    ...(cmp.order ? { order: cmp.order } : {}),
    ...(xa.duplicates.length ? { duplicatesA: xa.duplicates } : {}),
    ...(xb.duplicates.length ? { duplicatesB: xb.duplicates } : {}),
    ...(note ? { note } : {}),
  };
}

/** Compare two opened images; identical manifest digests short-cut to "identical". */
export async function diffImages(a: ImageHandle, b: ImageHandle, opts: DiffOptions = {}): Promise<ImageComparison> {
  const meta = compareImageMetadata(a, b);
  if (meta.identical) return meta;
  const layers: LayerComparison[] = [];
  for (const l of meta.layers) {
    layers.push(l.status === 'identical' || l.status === 'recompressed' ? l : await explainLayer(a, b, l, opts));
  }
  return { ...meta, layers };
}

/** Open two images named on the command line (store names or oci:DIR[:REF]) and compare them. */
export async function diffNamedImages(
  aArg: string,
  bArg: string,
  where: { readonly storeDir: string; readonly cwd: string },
  opts: DiffOptions = {},
): Promise<ImageComparison> {
  const a = await openImage(aArg, where);
  const b = await openImage(bArg, where);
  return diffImages(a, b, opts);
}
