/**
 * Which version each image of a tree has: the tag `<version>` that publish points at the
 * image, and the tag in the signatures' identity (`<ns>/<image>:<version>`). A package
 * without subpackages makes the image `<stage>-<name>`; one with subpackages makes
 * `<stage>-<sub>` for each, all with the package's version (DESIGN §2).
 */
import { StrataError } from '../errors.js';
import { loadTree } from '../tree/load.js';
import type { Tree } from '../tree/types.js';

export interface ImageVersions {
  /** image → version */
  readonly versions: ReadonlyMap<string, string>;
  /** Load errors of packages that could not be read (their images have no version). */
  readonly errors: Tree['errors'];
}

/** Pure: the image → version map of a loaded tree. */
export function versionsOfTree(tree: Pick<Tree, 'packages'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of tree.packages) {
    const images = p.subpackages.length ? p.subpackages.map((s) => `${p.stage}-${s}`) : [p.id];
    for (const i of images) out.set(i, p.version);
  }
  return out;
}

export function readImageVersions(treeRoot: string): ImageVersions {
  const tree = loadTree(treeRoot, { parse: false, keepGoing: true });
  return { versions: versionsOfTree(tree), errors: tree.errors };
}

/** The version of `image`, or an error saying why there is none. */
export function versionOf(iv: ImageVersions, image: string, treeRoot: string): string {
  const v = iv.versions.get(image);
  if (v !== undefined) return v;
  throw new StrataError('publish/unknown-image', `image '${image}' is listed in digests/ but no package of the tree makes it`, {
    location: { file: treeRoot },
    hint: iv.errors.length
      ? `${iv.errors.length} package(s) of the tree failed to load, e.g. ${iv.errors[0]!.format()}`
      : 'image names are <stage>-<name> (or <stage>-<subpackage>); check --tree and the digests file',
  });
}
