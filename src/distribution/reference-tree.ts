/**
 * The I/O edge of the reference build: loads and plans a tree (the one bootstrapped
 * from distribution/), reads the package directories and decodes the seed with the
 * audited hex0 reader, then runs the pure `referenceImages`.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeSeed } from '../bootstrap/seed.js';
import { loadPlan } from '../tree/load-plan.js';
import type { PackageDef } from '../tree/types.js';
import { referenceImages, referenceTools, type ContextFile, type RefFiles, type ReferenceTool } from './reference-build.js';

export interface ReferenceTree {
  readonly namespace: string;
  /** Every image of the tree, in plan order. */
  readonly order: readonly string[];
  readonly tools: readonly ReferenceTool[];
  readonly images: ReadonlyMap<string, RefFiles>;
  /** package id → the decoded seed, for packages with a [seed] table. */
  readonly seeds: ReadonlyMap<string, Uint8Array>;
}

function packageFile(pkg: PackageDef, rel: string): ContextFile | undefined {
  const file = path.join(pkg.dir, rel);
  try {
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    return { bytes: new Uint8Array(readFileSync(file)), executable: (st.mode & 0o100) !== 0 };
  } catch {
    return undefined;
  }
}

export function referenceTree(treeDir: string): ReferenceTree {
  const { tree, plan, errors } = loadPlan({ tree: treeDir });
  if (errors.length) throw errors[0];
  const packages = new Map(tree.packages.map((p) => [p.id, p]));
  const bootstrap = path.join(treeDir, 'packages', 'bootstrap');
  const tools = referenceTools((pkg, file) => readFileSync(path.join(bootstrap, pkg, file), 'utf8'));
  const seeds = new Map<string, Uint8Array>();
  const seedBytes = (pkg: PackageDef): Uint8Array => {
    let bytes = seeds.get(pkg.id);
    if (!bytes) {
      const seed = pkg.seed!;
      const source = readFileSync(path.join(pkg.dir, seed.source));
      const spec = { source: seed.source, hash: seed.hash, file: seed.file, fixpoint: seed.fixpoint ?? '' };
      bytes = decodeSeed(spec, source, path.join(pkg.dir, seed.source), readFileSync(pkg.packageFile, 'utf8'), pkg.packageFile);
      seeds.set(pkg.id, bytes);
    }
    return bytes;
  };
  const images = referenceImages({ plan, packages, contextFile: packageFile, seedBytes, tools });
  return { namespace: plan.namespace, order: plan.order, tools, images, seeds };
}
