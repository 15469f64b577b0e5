/** Walk what index.json references: manifests (and nested indexes) → configs and layers. */
import type { Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { MEDIA_TYPE_INDEX, MEDIA_TYPE_MANIFEST, type Descriptor } from '../oci/types.js';
import { assertValidImage, parseIndex } from '../oci/validate.js';
import type { OciStore } from './store.js';

export interface WalkProblem {
  readonly code: string;
  readonly digest: Digest;
  readonly message: string;
  readonly ref: string | undefined;
}

/**
 * Every digest reachable from the given descriptors with the size it is referenced by.
 * Problems (missing blobs, size mismatches, invalid objects) are collected, not thrown.
 */
export async function walkReferences(store: OciStore, roots: readonly { ref: string | undefined; descriptor: Descriptor }[]): Promise<{ reachable: Map<Digest, number>; problems: WalkProblem[] }> {
  const reachable = new Map<Digest, number>();
  const problems: WalkProblem[] = [];
  const visit = async (d: Descriptor, ref: string | undefined, depth: number): Promise<void> => {
    const known = reachable.get(d.digest);
    if (known !== undefined && known !== d.size) {
      problems.push({ code: 'store/size-mismatch', digest: d.digest, ref, message: `referenced with sizes ${known} and ${d.size}` });
    }
    if (known !== undefined) return;
    reachable.set(d.digest, d.size);
    if (!(await store.hasBlob(d.digest))) {
      problems.push({ code: 'store/missing-blob', digest: d.digest, ref, message: `blob ${d.digest} (${d.mediaType}) is missing` });
      return;
    }
    if (!(await store.hasBlob(d.digest, d.size))) {
      problems.push({ code: 'store/size-mismatch', digest: d.digest, ref, message: `blob ${d.digest} does not have the referenced size ${d.size}` });
      return;
    }
    try {
      if (d.mediaType === MEDIA_TYPE_MANIFEST) {
        const m = await store.readManifest(d.digest);
        const children = [m.config, ...m.layers];
        for (const c of children) await visit(c, ref, depth + 1);
        if (await store.hasBlob(m.config.digest, m.config.size)) {
          const cfg = await store.readConfig(m.config.digest);
          assertValidImage(m, cfg, store.blobPath(m.config.digest));
        }
      } else if (d.mediaType === MEDIA_TYPE_INDEX) {
        if (depth > 8) throw new StrataError('store/too-deep', 'indexes nested more than 8 deep', { kind: 'check' });
        const idx = parseIndex(await store.readBlob(d.digest), store.blobPath(d.digest));
        for (const c of idx.manifests) await visit(c, ref, depth + 1);
      }
    } catch (e) {
      if (!(e instanceof StrataError)) throw e;
      problems.push({ code: e.code, digest: d.digest, ref, message: e.message });
    }
  };
  for (const r of roots) await visit(r.descriptor, r.ref, 0);
  return { reachable, problems };
}
