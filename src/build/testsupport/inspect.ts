/** Test helpers to look inside built images: a merged file view and a layer's tar entries. */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { OciStore } from '../../store/store.js';
import { readTar } from '../../tar/reader.js';
import { layerDir } from '../layer.js';
import { LayeredFs } from '../layered-fs.js';
import { statePaths } from '../state.js';

/** The merged file system of a stored image. */
export async function imageView(storeRoot: string, image: string): Promise<LayeredFs> {
  const store = await OciStore.open(storeRoot);
  const desc = await store.resolveRef(image);
  if (!desc) throw new Error(`no image ${image}`);
  const m = await store.readManifest(desc.digest);
  const dirs: string[] = [];
  for (const l of m.layers) dirs.push(await layerDir(statePaths(store.root).layers, store, l));
  return new LayeredFs(dirs, image);
}

/** Names and header fields of every entry of layer `index` (negative: from the end). */
export async function layerEntries(storeRoot: string, image: string, index: number): Promise<{ name: string; kind: string; mode: number; uid: number; linkname: string; xattrs: Readonly<Record<string, Uint8Array>> }[]> {
  const store = await OciStore.open(storeRoot);
  const desc = await store.resolveRef(image);
  const m = await store.readManifest(desc!.digest);
  const layer = m.layers[index < 0 ? m.layers.length + index : index]!;
  const gunzip = createGunzip();
  Readable.from(store.streamBlob(layer.digest)).pipe(gunzip);
  const out = [];
  for await (const { header, body } of readTar(gunzip as AsyncIterable<Uint8Array>)) {
    for await (const _ of body) void _;
    out.push({ name: header.name, kind: header.kind, mode: header.mode, uid: header.uid, linkname: header.linkname, xattrs: header.xattrs });
  }
  return out;
}
