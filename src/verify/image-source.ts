/**
 * Opening an image for comparison, read-only: an image of the store (`core-zlib`, or a
 * manifest digest `sha256:…`) or of any OCI image layout (`oci:DIR[:REF]`). Nothing is
 * written to either layout (the store class creates scratch directories on open, so it is
 * not used here). Manifests and configs are hash-checked when read; layers are checked
 * against their diff_id when indexed.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isDigest, sha256Digest, type Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { ANNOTATION_REF_NAME, MEDIA_TYPE_INDEX, type Descriptor, type ImageIndex } from '../oci/types.js';
import { parseImageConfig, parseIndex, parseManifest } from '../oci/validate.js';
import { openDecompressed } from '../tar/decompress.js';
import type { ImageView } from './compare-images.js';

const MAX_JSON = 4 * 1024 * 1024;

export interface ImageHandle extends ImageView {
  /** The OCI layout the image was read from. */
  readonly layoutDir: string;
  /** The uncompressed tar stream of layer `i`. */
  layerStream(i: number): AsyncIterable<Uint8Array>;
}

export type ImageSpec =
  | { readonly kind: 'store'; readonly name: string }
  | { readonly kind: 'layout'; readonly dir: string; readonly ref?: string };

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/**
 * `oci:DIR[:REF]` names a layout (when `DIR:REF` as a whole is an existing directory, it
 * is the directory; otherwise the text after the last ':' is the ref); anything else names
 * an image of the store.
 */
export async function parseImageSpec(arg: string, cwd: string): Promise<ImageSpec> {
  if (!arg.startsWith('oci:')) return { kind: 'store', name: arg };
  const rest = arg.slice(4);
  if (rest === '') throw badSpec(arg);
  if (await isDir(path.resolve(cwd, rest))) return { kind: 'layout', dir: path.resolve(cwd, rest) };
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return { kind: 'layout', dir: path.resolve(cwd, rest) };
  return { kind: 'layout', dir: path.resolve(cwd, rest.slice(0, colon)), ref: rest.slice(colon + 1) };
}

function badSpec(arg: string): StrataError {
  return new StrataError('verify/bad-image-name', `'${arg}' names no image`, {
    hint: 'name an image of the store (e.g. core-zlib, or sha256:<hex>) or an OCI layout as oci:DIR[:REF]',
  });
}

function blobFile(dir: string, d: Digest): string {
  return path.join(dir, 'blobs', 'sha256', d.slice('sha256:'.length));
}

async function readJsonBlob(dir: string, d: Digest): Promise<Uint8Array> {
  const p = blobFile(dir, d);
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new StrataError('verify/missing-blob', `blob ${d} is not in ${dir}`, { location: { file: p }, hint: 'the layout is incomplete: rebuild or re-pull the image, then run strata fsck', kind: 'check' });
  }
  if (st.size > MAX_JSON) {
    throw new StrataError('verify/blob-too-large', `blob ${d} is ${st.size} bytes, too large for a manifest or config`, { location: { file: p }, hint: 'the layout holds an unexpected object; run strata fsck', kind: 'check' });
  }
  const bytes = await readFile(p);
  if (sha256Digest(bytes) !== d) {
    throw new StrataError('verify/corrupt-blob', `blob ${d} does not match its digest`, { location: { file: p }, hint: 'the layout is damaged: run strata fsck, then rebuild or re-pull', kind: 'check' });
  }
  return bytes;
}

async function readLayoutIndex(dir: string, what: string): Promise<ImageIndex> {
  const marker = path.join(dir, 'oci-layout');
  if (!(await stat(marker).then((s) => s.isFile(), () => false))) {
    throw new StrataError('verify/not-a-layout', 'not an OCI image layout (no oci-layout file)', {
      location: { file: dir },
      hint: what === 'store' ? 'build something first, or pass --store DIR pointing at an existing store' : 'give the directory of an OCI layout, e.g. one written by strata export or skopeo copy oci:DIR',
    });
  }
  const p = path.join(dir, 'index.json');
  const bytes = await readFile(p).catch(() => {
    throw new StrataError('verify/not-a-layout', 'index.json is missing', { location: { file: p }, hint: 'the layout is damaged; run strata fsck', kind: 'check' });
  });
  return parseIndex(bytes, p);
}

/** A manifest descriptor: an index is followed when it holds exactly one manifest. */
async function platformManifest(dir: string, desc: Descriptor, label: string): Promise<Digest> {
  if (desc.mediaType !== MEDIA_TYPE_INDEX) return desc.digest;
  const idx = parseIndex(await readJsonBlob(dir, desc.digest), blobFile(dir, desc.digest));
  if (idx.manifests.length !== 1) {
    throw new StrataError('verify/ambiguous-image', `${label} is an index of ${idx.manifests.length} manifests`, {
      hint: 'compare one platform manifest: name it by digest (sha256:<hex>) in a layout that holds it',
    });
  }
  return platformManifest(dir, idx.manifests[0]!, label);
}

/** Open the image `selector` (ref name or manifest digest; none = the only image) of a layout. */
export async function openLayoutImage(dir: string, selector: string | undefined, label: string, what: 'store' | 'layout'): Promise<ImageHandle> {
  const index = await readLayoutIndex(dir, what);
  let digest: Digest;
  if (selector !== undefined && isDigest(selector)) {
    digest = selector;
  } else {
    const refs = index.manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME]);
    let desc: Descriptor | undefined;
    if (selector === undefined) {
      if (index.manifests.length !== 1) {
        throw new StrataError('verify/ambiguous-image', `${dir} holds ${index.manifests.length} images; say which one`, {
          hint: `write oci:DIR:REF with one of: ${refs.filter((r) => r !== undefined).join(', ') || '(no named refs)'}`,
        });
      }
      desc = index.manifests[0];
    } else {
      desc = index.manifests.find((m) => m.annotations?.[ANNOTATION_REF_NAME] === selector);
    }
    if (!desc) {
      const known = refs.filter((r): r is string => r !== undefined);
      throw new StrataError('verify/unknown-image', `image '${selector}' is not in ${what === 'store' ? 'the store' : dir}`, {
        location: { file: path.join(dir, 'index.json') },
        hint: what === 'store' ? "build it first (strata build IMAGE), or check the name with 'strata plan'" : `the layout's refs are: ${known.join(', ') || '(none)'}`,
      });
    }
    digest = await platformManifest(dir, desc, label);
  }
  const manifest = parseManifest(await readJsonBlob(dir, digest), blobFile(dir, digest));
  const config = parseImageConfig(await readJsonBlob(dir, manifest.config.digest), blobFile(dir, manifest.config.digest));
  return {
    label,
    digest,
    manifest,
    config,
    layoutDir: dir,
    layerStream(i: number): AsyncIterable<Uint8Array> {
      const layer = manifest.layers[i];
      if (!layer) throw new RangeError(`no layer ${i}`);
      const file = blobFile(dir, layer.digest);
      return {
        async *[Symbol.asyncIterator]() {
          if (!(await stat(file).then((s) => s.isFile(), () => false))) {
            throw new StrataError('verify/missing-blob', `layer ${i} (${layer.digest}) of ${label} is not in ${dir}`, { location: { file }, hint: 'the layout is incomplete: rebuild or re-pull the image', kind: 'check' });
          }
          yield* openDecompressed(file);
        },
      };
    },
  };
}

/** Open an image named on the command line. */
export async function openImage(arg: string, opts: { readonly storeDir: string; readonly cwd: string }): Promise<ImageHandle> {
  const spec = await parseImageSpec(arg, opts.cwd);
  if (spec.kind === 'layout') return openLayoutImage(spec.dir, spec.ref, arg, 'layout');
  if (spec.name === '') throw badSpec(arg);
  return openLayoutImage(opts.storeDir, spec.name, arg, 'store');
}
