/**
 * Flatten an image of an OCI image layout into the file system a runtime would see:
 * layers applied in order with OCI whiteout rules (`.wh.<name>` deletes a lower path and
 * everything under it, `.wh..wh..opq` empties a directory of lower content), each path
 * summarised by what the interop comparison looks at: kind, mode, owner, size, content
 * digest, link target, device numbers and the set of hardlinked paths. Layers are read
 * whether gzip-compressed or not, so images written by strata and by buildah go through
 * the same code. Used by tests and benchmarks only (the image bytes are not trusted for
 * anything but the comparison).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { readTar, type TarEntryKind } from '../../tar/reader.js';

export type FlatKind = Exclude<TarEntryKind, 'hardlink'>;

/** One path of a flattened image. */
export interface FlatEntry {
  readonly kind: FlatKind;
  /** mode & 0o7777 */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Regular files only; 0 otherwise. */
  readonly size: number;
  /** sha256 hex of a regular file's content. */
  readonly sha256?: string;
  readonly linkTarget?: string;
  readonly device?: string;
  /** Identity of the file's content node, shared by hardlinks (internal to one flattening). */
  readonly node: number;
}

/** The config fields a runtime uses (OCI image config `config`). */
export interface RuntimeFields {
  readonly Env?: readonly string[];
  readonly User?: string;
  readonly WorkingDir?: string;
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly ExposedPorts?: Readonly<Record<string, unknown>> | null;
  readonly Volumes?: Readonly<Record<string, unknown>> | null;
  readonly StopSignal?: string;
}

export interface FlatImage {
  /** Root-relative path ('a/b', no leading or trailing slash) → entry. */
  readonly entries: ReadonlyMap<string, FlatEntry>;
  readonly config: RuntimeFields;
  readonly layerCount: number;
}

interface Descriptor {
  readonly digest: string;
  readonly mediaType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256' || !hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`unsupported digest ${digest} in ${layout}`);
  return path.join(layout, 'blobs', 'sha256', hex);
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The manifest descriptor of `ref` (the only image when `ref` is undefined). */
export function findManifest(layout: string, ref?: string): Descriptor {
  const index = readJson<{ manifests: Descriptor[] }>(path.join(layout, 'index.json'));
  const found = ref === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (found.length !== 1) throw new Error(`${layout}: expected one image${ref ? ` named ${ref}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Normalise a tar entry name to a root-relative path ('' for the root). */
export function entryPath(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`unsafe tar entry name ${JSON.stringify(name)}`);
  return parts.join('/');
}

function isUnder(p: string, dir: string): boolean {
  return dir === '' ? p !== '' : p.startsWith(`${dir}/`);
}

/** Remove `p` and everything under it. */
function removeTree(entries: Map<string, FlatEntry>, p: string): void {
  entries.delete(p);
  for (const k of [...entries.keys()]) if (isUnder(k, p)) entries.delete(k);
}

async function* gunzipIfNeeded(file: string): AsyncGenerator<Uint8Array> {
  const magic = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, magic, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const gz = n === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = createReadStream(file);
  const stream = gz ? raw.pipe(createGunzip()) : raw;
  for await (const chunk of stream) yield chunk as Uint8Array;
}

interface PendingEntry {
  readonly path: string;
  readonly entry: FlatEntry | { readonly hardlinkTo: string };
}

/** Apply one layer tar to `entries`. */
export async function applyLayer(entries: Map<string, FlatEntry>, tar: AsyncIterable<Uint8Array>, label: string, nextNode: () => number): Promise<void> {
  const deletions: string[] = [];
  const opaque: string[] = [];
  const pending: PendingEntry[] = [];
  for await (const { header, body } of readTar(tar, label)) {
    const p = entryPath(header.name);
    const base = p.slice(p.lastIndexOf('/') + 1);
    const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
    if (base === '.wh..wh..opq') {
      for await (const _ of body) void _;
      opaque.push(dir);
      continue;
    }
    if (base.startsWith('.wh.')) {
      for await (const _ of body) void _;
      deletions.push(dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`);
      continue;
    }
    if (p === '') {
      for await (const _ of body) void _;
      continue;
    }
    if (header.kind === 'hardlink') {
      for await (const _ of body) void _;
      pending.push({ path: p, entry: { hardlinkTo: entryPath(header.linkname) } });
      continue;
    }
    let sha256: string | undefined;
    if (header.kind === 'file') {
      const h = createHash('sha256');
      for await (const chunk of body) h.update(chunk);
      sha256 = h.digest('hex');
    } else {
      for await (const _ of body) void _;
    }
    pending.push({
      path: p,
      entry: {
        kind: header.kind,
        mode: header.mode & 0o7777,
        uid: header.uid,
        gid: header.gid,
        size: header.kind === 'file' ? header.size : 0,
        ...(sha256 ? { sha256 } : {}),
        ...(header.kind === 'symlink' ? { linkTarget: header.linkname } : {}),
        ...(header.kind === 'char' || header.kind === 'block' ? { device: `${header.devmajor}:${header.devminor}` } : {}),
        node: nextNode(),
      },
    });
  }
  // whiteouts hide lower layers only, so they apply before this layer's own entries
  for (const d of opaque) for (const k of [...entries.keys()]) if (isUnder(k, d)) entries.delete(k);
  for (const d of deletions) removeTree(entries, d);
  const added = new Map<string, FlatEntry>();
  for (const { path: p, entry } of pending) {
    let e: FlatEntry;
    if ('hardlinkTo' in entry) {
      const target = added.get(entry.hardlinkTo) ?? entries.get(entry.hardlinkTo);
      if (!target || target.kind !== 'file') throw new Error(`${label}: hardlink ${p} to missing or non-file ${entry.hardlinkTo}`);
      e = target;
    } else {
      e = entry;
    }
    const old = entries.get(p);
    if (!(old?.kind === 'dir' && e.kind === 'dir')) removeTree(entries, p);
    entries.set(p, e);
    added.set(p, e);
  }
}

/** Flatten the image `ref` (or the only image) of the OCI layout `layout`. */
export async function flattenLayout(layout: string, ref?: string): Promise<FlatImage> {
  const desc = findManifest(layout, ref);
  const manifest = readJson<{ config: Descriptor; layers: Descriptor[] }>(blobPath(layout, desc.digest));
  const config = readJson<{ config?: RuntimeFields }>(blobPath(layout, manifest.config.digest));
  const entries = new Map<string, FlatEntry>();
  let node = 0;
  for (const [i, layer] of manifest.layers.entries()) {
    await applyLayer(entries, gunzipIfNeeded(blobPath(layout, layer.digest)), `${layout} layer ${i}`, () => ++node);
  }
  return { entries, config: config.config ?? {}, layerCount: manifest.layers.length };
}
