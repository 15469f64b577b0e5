/**
 * loadPlan: the whole front end in one call — load the tree (reading files), parse the
 * Containerfiles, plan, select the requested closure. What `strata plan` prints and what
 * `fetch`/`build` start from.
 */
import type { StrataError } from '../errors.js';
import { loadTree } from './load.js';
import { parseContainerfile } from '../containerfile/parser.js';
import { planTree } from '../plan/plan.js';
import { selectClosure } from '../plan/graph.js';
import type { Plan } from '../plan/types.js';
import type { Tree } from './types.js';

export interface PlanRequest {
  /** The tree root, as the user gave it (error locations are built on it). */
  readonly tree: string;
  /** Restrict to these images and their dependency closure (`core-zlib` or `<ns>/core-zlib`). */
  readonly images?: readonly string[];
  /** Collect per-package errors and plan the rest, instead of throwing the first error. */
  readonly keepGoing?: boolean;
}

export interface PlanOutcome {
  readonly tree: Tree;
  readonly plan: Plan;
  /** Non-empty only with keepGoing. */
  readonly errors: readonly StrataError[];
}

export function loadPlan(req: PlanRequest): PlanOutcome {
  const keepGoing = req.keepGoing ?? false;
  const tree = loadTree(req.tree, { keepGoing, parse: parseContainerfile });
  const planned = planTree(tree, { keepGoing });
  const plan = selectClosure(planned.plan, req.images ?? []);
  return { tree, plan, errors: [...tree.errors, ...planned.errors] };
}
