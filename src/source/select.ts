/**
 * Which sources a fetch is about: every package's, or those of the packages behind the
 * named images. Pure: works on a loaded Tree.
 */
import { StrataError } from '../errors.js';
import { closeMatches } from '../tree/close-matches.js';
import type { PackageDef, Tree } from '../tree/types.js';
import type { SourceSpec } from './mirrors.js';

/** The images a package produces (DESIGN §2): its subpackages, else its own name. */
export function imagesOfPackage(pkg: PackageDef): string[] {
  return pkg.subpackages.length > 0 ? pkg.subpackages.map((s) => `${pkg.stage}-${s}`) : [pkg.id];
}

export function specsOfPackage(pkg: PackageDef): SourceSpec[] {
  return pkg.sources.map((s) => ({
    id: s.id,
    file: s.file,
    hash: s.hash,
    urls: s.mirrors,
    owner: pkg.id,
    location: s.location,
  }));
}

/**
 * The sources of the packages that produce `images` (a package id is accepted too), or of
 * every package when `images` is empty. In tree order, each package once.
 * An unknown name is an input error with a suggestion.
 */
export function selectSources(tree: Tree, images: readonly string[]): SourceSpec[] {
  if (images.length === 0) return tree.packages.flatMap(specsOfPackage);
  const byName = new Map<string, PackageDef>();
  for (const pkg of tree.packages) {
    for (const img of imagesOfPackage(pkg)) byName.set(img, pkg);
    if (!byName.has(pkg.id)) byName.set(pkg.id, pkg);
  }
  const chosen = new Set<PackageDef>();
  for (const name of images) {
    const pkg = byName.get(name);
    if (!pkg) {
      const near = closeMatches(name, byName.keys());
      throw new StrataError('source/unknown-image', `no image or package named '${name}' in this tree`, {
        hint: near.length > 0 ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : "run 'strata plan' to list the images",
      });
    }
    chosen.add(pkg);
  }
  return tree.packages.filter((p) => chosen.has(p)).flatMap(specsOfPackage);
}
