/**
 * auditTree: the whole audit in one call — load and plan the tree, collect each image's
 * inputs, gather the facts about them (the only I/O: scan.ts), evaluate (pure).
 * What `strata audit` prints and `strata trace` walks.
 */
import path from 'node:path';
import { StrataError } from '../errors.js';
import { loadPlan } from '../tree/load-plan.js';
import type { PackageDef } from '../tree/types.js';
import { SourceCache } from '../source/cache.js';
import { ContextView } from './context.js';
import { evaluateAudit } from './evaluate.js';
import { imageInputs } from './inputs.js';
import { fileFacts, isFile, listPackageDir, seedFacts, sourceFacts } from './scan.js';
import type { AuditFacts, BinarySeedFacts, FileFacts, ImageInputs, SeedFacts, SourceFacts, Verdict } from './types.js';

export interface AuditOptions {
  /** The tree root, as the user should see it in messages. */
  readonly tree: string;
  /** The source cache directory. */
  readonly cacheDir: string;
  /** Audit these images (and, to answer for them, everything they need); empty: all. */
  readonly images?: readonly string[];
}

export interface AuditReport {
  readonly namespace: string;
  /** The verdicts of the requested images (all, when none were named), sorted by name. */
  readonly verdicts: readonly Verdict[];
  /** Every verdict computed, the requested images' dependencies included. */
  readonly all: ReadonlyMap<string, Verdict>;
}

/** `seeds` paths are compared after this: '/'-separated, no `./`, no trailing '/'. */
export function normaliseTreePath(p: string): string {
  return path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/+$/, '');
}

export async function auditTree(o: AuditOptions): Promise<AuditReport> {
  const requested = o.images ?? [];
  const { tree, plan } = loadPlan({ tree: o.tree, images: requested });
  const packages = new Map<string, PackageDef>(tree.packages.map((p) => [p.id, p]));

  // binary seeds declared in strata.toml must exist
  const binarySeeds = new Map<string, BinarySeedFacts>();
  for (const s of tree.config.seeds) {
    if (!(await isFile(path.join(tree.root, s.path)))) {
      throw new StrataError('audit/binary-seed-missing', `binary seed '${s.path}' does not exist`, {
        location: s.location,
        hint: 'the path is relative to the tree root; fix it or remove the entry',
      });
    }
    binarySeeds.set(normaliseTreePath(s.path), { path: s.path, sha256: s.sha256, location: s.location });
  }

  // inputs, in dependency order
  const contexts = new Map<string, ContextView>();
  const inputs: ImageInputs[] = [];
  for (const name of plan.order) {
    const img = plan.images.find((i) => i.name === name)!;
    const pkg = packages.get(img.packageId)!;
    let ctx = contexts.get(pkg.id);
    if (!ctx) {
      ctx = new ContextView(await listPackageDir(pkg.dir), pkg);
      contexts.set(pkg.id, ctx);
    }
    inputs.push(imageInputs(pkg, img, tree.config.namespace, tree.config.platform, ctx));
  }

  // facts about everything the inputs name, each looked at once
  const cache = new SourceCache(o.cacheDir);
  const files = new Map<string, FileFacts>();
  const sources = new Map<string, SourceFacts>();
  const seeds = new Map<string, SeedFacts>();
  for (const img of inputs) {
    const pkg = packages.get(img.packageId)!;
    for (const input of img.inputs) {
      if (input.kind === 'context-file' && !files.has(input.display)) {
        files.set(input.display, await fileFacts(path.join(pkg.dir, input.rel), input.display));
      } else if (input.kind === 'source' && !sources.has(input.source.hash)) {
        sources.set(input.source.hash, await sourceFacts(cache, input.source.hash, `${pkg.id}: ${input.source.file}`));
      } else if (input.kind === 'seed' && !seeds.has(pkg.id)) {
        seeds.set(pkg.id, await seedFacts(pkg));
      }
    }
  }
  const facts: AuditFacts = { files, sources, seeds, binarySeeds };

  const all = evaluateAudit(inputs, facts);
  const wanted = requested.length === 0
    ? [...all.keys()]
    : requested.map((r) => (r.startsWith(`${plan.namespace}/`) ? r.slice(plan.namespace.length + 1) : r));
  const verdicts = [...new Set(wanted)].sort().map((n) => all.get(n)!);
  return { namespace: plan.namespace, verdicts, all };
}
