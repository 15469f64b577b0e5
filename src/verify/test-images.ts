/**
 * Test support: write small hand-made images into a real store with the real tar writer
 * and pinned compressor, so the engine is tested on genuine layouts.
 */
import { buildImageConfig } from '../oci/build.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR, type Descriptor, type RuntimeConfig } from '../oci/types.js';
import type { OciStore } from '../store/store.js';
import type { TarEntry } from '../tar/entry.js';
import { writeLayer, type LayerCompression } from '../tar/layer.js';
import { gzipPinned } from '../tar/pinned-gzip.js';
import { sha256Digest } from '../digest/digest.js';

/** A layer given as entries (written by the deterministic writer) or as raw tar bytes. */
export type TestLayer = readonly TarEntry[] | { readonly tar: Uint8Array };

export interface TestImageOptions {
  readonly compression?: LayerCompression;
  readonly config?: RuntimeConfig;
}

export async function putTestLayer(store: OciStore, layer: TestLayer, compression: LayerCompression): Promise<{ desc: Descriptor; diffId: ReturnType<typeof sha256Digest> }> {
  if ('tar' in layer) {
    const diffId = sha256Digest(layer.tar);
    const blob = compression === 'gzip' ? gzipPinned(layer.tar) : layer.tar;
    const ref = await store.putBlob(blob);
    return { desc: { mediaType: compression === 'gzip' ? MEDIA_TYPE_LAYER_GZIP : MEDIA_TYPE_LAYER_TAR, digest: ref.digest, size: ref.size }, diffId };
  }
  const chunks: Uint8Array[] = [];
  const res = await writeLayer(layer as readonly TarEntry[], { write: (c) => void chunks.push(c) }, { sourceDateEpoch: 1, compression, parents: 'ignore' });
  const ref = await store.putBlob(chunks, { digest: res.digest, size: res.size });
  return { desc: { mediaType: res.mediaType, digest: ref.digest, size: ref.size }, diffId: res.diffId };
}

/** Write an image named `ref` with the given layers; returns its manifest descriptor. */
export async function writeTestImage(store: OciStore, ref: string, layers: readonly TestLayer[], opts: TestImageOptions = {}): Promise<Descriptor> {
  const descs: Descriptor[] = [];
  const diffIds = [];
  for (const l of layers) {
    const { desc, diffId } = await putTestLayer(store, l, opts.compression ?? 'gzip');
    descs.push(desc);
    diffIds.push(diffId);
  }
  const config = buildImageConfig({
    platform: { os: 'linux', architecture: 'amd64' },
    sourceDateEpoch: 1,
    ...(opts.config ? { config: opts.config } : {}),
    diffIds,
    history: layers.map((_, i) => ({ created_by: `test layer ${i}` })),
  });
  return store.writeImage(ref, config, descs);
}
