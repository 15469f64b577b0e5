/**
 * Reads the files of a stored image straight from its layer blobs (not from the
 * builder's extraction cache): the manifest's layers, in order, each decompressed and
 * read as tar, whiteouts applied. What the image ships is exactly what this returns.
 */
import type { Digest } from '../digest/digest.js';
import { OciStore } from '../store/store.js';
import { layerTarBytes } from '../tar/decompress.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../tar/entry.js';
import { readTar, type TarEntryKind } from '../tar/reader.js';

export interface ImageFile {
  readonly kind: TarEntryKind;
  /** Permission bits (and setuid/setgid/sticky). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** File contents (files only). */
  readonly bytes?: Uint8Array;
  readonly linkname?: string;
}

/** Path (no leading '/', no trailing '/') → entry, after applying every layer. */
export type ImageFiles = Map<string, ImageFile>;

export interface StoredImage {
  readonly digest: Digest;
  readonly files: ImageFiles;
  readonly layerMediaTypes: readonly string[];
}

/** The decompressed bytes of one layer blob, by its media type (tar/decompress). */
function layerTarStream(store: OciStore, digest: Digest, mediaType: string): AsyncIterable<Uint8Array> {
  const tar = layerTarBytes(store.streamBlob(digest), mediaType, `layer ${digest}`);
  if (!tar) throw new Error(`layer ${digest}: unknown media type ${mediaType}`);
  return tar;
}

function normalise(name: string): string {
  return name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

function removeTree(files: ImageFiles, dir: string, keepDir: boolean): void {
  for (const p of [...files.keys()]) {
    if (p.startsWith(`${dir}/`) || (!keepDir && p === dir)) files.delete(p);
  }
}

/** Apply one layer's entries to `files` (OCI image spec layer semantics). */
async function applyLayer(files: ImageFiles, tar: AsyncIterable<Uint8Array>, label: string): Promise<void> {
  for await (const { header, body } of readTar(tar, label)) {
    const name = normalise(header.name);
    const slash = name.lastIndexOf('/');
    const dir = slash < 0 ? '' : name.slice(0, slash);
    const base = name.slice(slash + 1);
    if (base === OPAQUE_WHITEOUT) {
      if (dir !== '') removeTree(files, dir, true);
      else files.clear();
      continue;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      removeTree(files, (dir ? `${dir}/` : '') + base.slice(WHITEOUT_PREFIX.length), false);
      continue;
    }
    const existing = files.get(name);
    if (existing && !(existing.kind === 'dir' && header.kind === 'dir')) removeTree(files, name, false);
    const bytes = header.kind === 'file' ? await collect(body) : undefined;
    files.set(name, {
      kind: header.kind,
      mode: header.mode & 0o7777,
      uid: header.uid,
      gid: header.gid,
      ...(bytes ? { bytes } : {}),
      ...(header.linkname ? { linkname: header.linkname } : {}),
    });
  }
}

/** The merged files of image `ref` in the store at `storeRoot`. */
export async function readStoredImage(storeRoot: string, ref: string): Promise<StoredImage> {
  const store = await OciStore.open(storeRoot);
  const desc = await store.resolveRef(ref);
  if (!desc) throw new Error(`no image ${ref} in ${storeRoot}`);
  const manifest = await store.readManifest(desc.digest);
  const files: ImageFiles = new Map();
  for (const layer of manifest.layers) await applyLayer(files, layerTarStream(store, layer.digest, layer.mediaType), `${ref} layer ${layer.digest}`);
  return { digest: desc.digest, files, layerMediaTypes: manifest.layers.map((l) => l.mediaType) };
}
