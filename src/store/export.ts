/**
 * Write one image of the store as its own OCI image layout (for `strata export IMAGE
 * --oci DIR`; `skopeo copy oci:DIR:REF …` reads it). Blobs are verified while copied.
 */
import { mkdir, open, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { buildIndex } from '../oci/build.js';
import { canonicalJsonBytes } from '../oci/canonical-json.js';
import { ANNOTATION_REF_NAME, OCI_LAYOUT_VERSION, type Descriptor } from '../oci/types.js';
import { isValidRefName } from '../oci/validate.js';
import { walkReferences } from './reachable.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE } from './paths.js';
import type { OciStore } from './store.js';

export interface ExportOptions {
  /** Ref name inside the exported layout (default: the store ref). */
  readonly refName?: string;
}

export async function exportImage(store: OciStore, ref: string, dir: string, opts: ExportOptions = {}): Promise<Descriptor> {
  const desc = await store.resolveRef(ref);
  if (!desc) {
    throw new StrataError('store/unknown-image', `image '${ref}' is not in the store`, { hint: "build it first, or check the name with 'strata plan'" });
  }
  const refName = opts.refName ?? ref;
  if (!isValidRefName(refName)) throw new StrataError('store/bad-ref', `invalid ref name '${refName}'`, { hint: 'use letters, digits and . _ - : @ +' });
  const existing = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  if (existing.length > 0) {
    throw new StrataError('store/export-exists', `${dir} exists and is not empty`, { location: { file: dir }, hint: 'export into a new or empty directory' });
  }
  const { reachable, problems } = await walkReferences(store, [{ ref, descriptor: desc }]);
  if (problems.length) {
    throw new StrataError(problems[0]!.code, `image '${ref}' is incomplete: ${problems[0]!.message}`, { hint: "run 'strata fsck'", kind: 'check' });
  }
  await mkdir(path.join(dir, BLOBS_DIR), { recursive: true });
  for (const [d] of [...reachable].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const final = path.join(dir, BLOBS_DIR, d.slice(7));
    const tmp = `${final}.partial`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      for await (const c of store.streamBlob(d)) await fh.write(c);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
  }
  const index = buildIndex([{ ...desc, annotations: { ...(desc.annotations ?? {}), [ANNOTATION_REF_NAME]: refName } }]);
  await writeFile(path.join(dir, LAYOUT_FILE), canonicalJsonBytes({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
  await writeFile(path.join(dir, INDEX_FILE), index.bytes);
  return desc;
}
