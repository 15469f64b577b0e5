/**
 * `strata sign` core: sign the tree's digests that this machine reproduced.
 *
 * A signature means "I built this and got this digest": every selected image must be in
 * the local store under its name with exactly the digest recorded in digests/<stage>.txt.
 * If any is missing or different, nothing is signed and each refusal names the image.
 * Then each digest is signed with signDigest (incremental: already-signed digests are
 * skipped), with identity `<namespace>/<image>:<package version>`.
 */
import { StrataError, StrataErrors } from '../errors.js';
import { OciStore } from '../store/store.js';
import { loadTree } from '../tree/load.js';
import { signDigest, type SignDigestResult, type Signer } from './sign.js';
import { readAllDigests, readTrustConfig, selectRecordedImages } from './tree-trust.js';

export interface SignTreeOptions {
  readonly tree: string;
  /** The local OCI store the images were built into. */
  readonly store: string;
  readonly images: readonly string[] | 'all';
  readonly signaturesDir: string;
  readonly signer: Signer;
  readonly date?: Date;
  /** optional.creator in the payload. */
  readonly creator?: string;
}

export interface SignedImage {
  readonly image: string;
  readonly version: string;
  readonly digest: string;
  readonly result: SignDigestResult;
}

export async function signTree(options: SignTreeOptions): Promise<SignedImage[]> {
  const config = await readTrustConfig(options.tree);
  const all = await readAllDigests(options.tree);
  const selected = selectRecordedImages(all, options.images, 'sign');
  const versions = imageVersions(options.tree);
  const store = await OciStore.open(options.store);

  const refusals: StrataError[] = [];
  for (const e of selected) {
    const built = await store.resolveRef(e.image);
    if (!built) {
      refusals.push(
        new StrataError('trust/not-built-here', `refusing to sign ${e.image}: it is not in the local store`, {
          location: e.location,
          kind: 'check',
          hint: `build it first ('strata build ${e.image}'): a signature means "I reproduced this digest"`,
        }),
      );
    } else if (built.digest !== e.digest) {
      refusals.push(
        new StrataError('trust/digest-not-reproduced', `refusing to sign ${e.image}: the local build is ${built.digest}, digests/ says ${e.digest}`, {
          location: e.location,
          kind: 'check',
          hint: "this machine did not reproduce the recorded digest: run 'strata verify' to see what differs",
        }),
      );
    } else if (!versions.has(e.image)) {
      refusals.push(
        new StrataError('trust/unknown-image', `refusing to sign ${e.image}: no package of the tree makes it`, {
          location: e.location,
          hint: 'image names are <stage>-<name> or <stage>-<subpackage>; check --tree and the digests file',
        }),
      );
    }
  }
  if (refusals.length === 1) throw refusals[0]!;
  if (refusals.length > 1) throw new StrataErrors(refusals);

  const out: SignedImage[] = [];
  for (const e of selected) {
    const version = versions.get(e.image)!;
    const result = await signDigest({
      image: e.image,
      version,
      digest: e.digest,
      namespace: config.namespace,
      signer: options.signer,
      signaturesDir: options.signaturesDir,
      ...(options.date ? { date: options.date } : {}),
      ...(options.creator ? { creator: options.creator } : {}),
    });
    out.push({ image: e.image, version, digest: e.digest, result });
  }
  return out;
}

/** image → package version (a package with subpackages gives each `<stage>-<sub>` its version). */
function imageVersions(tree: string): Map<string, string> {
  const loaded = loadTree(tree, { parse: false, keepGoing: true });
  const out = new Map<string, string>();
  for (const p of loaded.packages) {
    const images = p.subpackages.length ? p.subpackages.map((s) => `${p.stage}-${s}`) : [p.id];
    for (const i of images) out.set(i, p.version);
  }
  return out;
}
