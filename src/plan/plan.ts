/**
 * planTree: from a loaded tree to the build plan (DESIGN §2). Pure: no I/O.
 *
 * Images: a package with subpackages produces exactly `<stage>-<sub>` built with target
 * `package-<sub>` (which must be a stage of its Containerfile); otherwise `<stage>-<name>`
 * from the last stage. Dependencies: the `<namespace>/<image>` FROM and COPY --from
 * references of the stages the target needs.
 */
import { StrataError } from '../errors.js';
import type { PackageDef, Tree } from '../tree/types.js';
import { buildGraph, type GraphResult, type ImageNode } from './graph.js';
import { classifyImageRef } from './image-ref.js';
import { analyzeStages, imageLinksFor, stageIndex } from './stages.js';
import type { ImageReference } from './types.js';

export interface PlanOptions {
  /** Leave failing images (and their dependents) out and collect errors instead of throwing. */
  readonly keepGoing?: boolean;
}

/** The platform a package is planned for: the tree's, if the package supports it. */
function platformFor(pkg: PackageDef, treePlatform: string): string {
  return pkg.platforms.includes(treePlatform) ? treePlatform : (pkg.platforms[0] ?? treePlatform);
}

/** The image nodes one package produces. Throws a StrataError on bad input. */
export function packageImages(pkg: PackageDef, namespace: string, treePlatform: string): ImageNode[] {
  const cf = pkg.containerfile;
  if (!cf) {
    throw new StrataError('plan/not-parsed', `package ${pkg.id}: Containerfile was not parsed`, {
      location: { file: pkg.containerfilePath },
      hint: 'load the tree with a Containerfile parser',
    });
  }
  if (cf.stages.length === 0) {
    throw new StrataError('plan/no-stages', 'Containerfile has no FROM', {
      location: { file: pkg.containerfilePath, line: 1, col: 1 },
      hint: 'start the build with FROM <image>',
    });
  }
  const stages = analyzeStages(cf, pkg.buildArgs, platformFor(pkg, treePlatform));
  const targets: { name: string; target: string | undefined; index: number }[] = [];
  if (pkg.subpackages.length > 0) {
    for (const sub of pkg.subpackages) {
      const target = `package-${sub}`;
      const index = stageIndex(cf, target);
      if (index === undefined) {
        throw new StrataError('plan/missing-target', `subpackage '${sub}' needs a stage named '${target}' in ${pkg.containerfilePath}`, {
          location: pkg.subpackageLocations[sub] ?? { file: pkg.packageFile },
          hint: `add 'FROM … AS ${target}' to the Containerfile or remove '${sub}' from subpackages`,
        });
      }
      targets.push({ name: `${pkg.stage}-${sub}`, target, index });
    }
  } else {
    const last = cf.stages[cf.stages.length - 1]!;
    targets.push({ name: pkg.id, target: last.name, index: last.index });
  }
  return targets.map((t): ImageNode => {
    const references: ImageReference[] = [];
    const external: ImageReference[] = [];
    for (const link of imageLinksFor(stages, t.index)) {
      const c = classifyImageRef(link.ref, namespace);
      if (c.kind === 'tree') references.push({ image: c.image, location: link.location, via: link.via });
      else if (c.kind === 'external') external.push({ image: c.ref, location: link.location, via: link.via });
    }
    return {
      name: t.name,
      stage: pkg.stage,
      packageId: pkg.id,
      version: pkg.version,
      target: t.target,
      targetIndex: t.index,
      references,
      external,
      sources: pkg.sources,
    };
  });
}

export function planTree(tree: Tree, opts: PlanOptions): GraphResult {
  const keepGoing = opts.keepGoing ?? false;
  const errors: StrataError[] = [];
  const nodes: ImageNode[] = [];
  const producer = new Map<string, PackageDef>();
  for (const pkg of tree.packages) {
    try {
      const images = packageImages(pkg, tree.config.namespace, tree.config.platform);
      for (const img of images) {
        const other = producer.get(img.name);
        if (other) {
          throw new StrataError('plan/duplicate-image', `image ${img.name} is produced by both ${other.id} and ${pkg.id}`, {
            location: pkg.subpackageLocations[img.name.slice(pkg.stage.length + 1)] ?? { file: pkg.packageFile },
            hint: 'rename a package or subpackage so every image name is unique',
          });
        }
      }
      for (const img of images) {
        producer.set(img.name, pkg);
        nodes.push(img);
      }
    } catch (e) {
      if (!keepGoing || !(e instanceof StrataError)) throw e;
      errors.push(e);
    }
  }
  const g = buildGraph(tree.config.namespace, nodes, keepGoing);
  return { plan: g.plan, errors: [...errors, ...g.errors] };
}
