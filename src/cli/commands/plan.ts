/**
 * `strata plan [--tree DIR] [--json] [--rdeps] [--keep-going] [IMAGE...]`
 *
 * Loads the tree, plans it, prints the plan. Imports only the tree loader, the Containerfile
 * parser and the planner (no OpenPGP, no compression): it must start fast.
 */
import { StrataError, StrataErrors, EXIT_INPUT } from '../../errors.js';
import { parseCommand, boolOpt, stringOpt, TREE_OPTION, JSON_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { loadTree } from '../../tree/load.js';
import { parseContainerfile } from '../../containerfile/parser.js';
import { planTree } from '../../plan/plan.js';
import { selectClosure } from '../../plan/graph.js';
import { planToJson, planToTable } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';

export const spec: CommandSpec = {
  name: 'plan',
  summary: 'Show the build plan: every image, its dependencies and its level (images of one level can build in parallel).',
  usage: 'strata plan [--tree DIR] [--json] [--rdeps] [--keep-going] [IMAGE...]',
  options: {
    tree: TREE_OPTION,
    json: JSON_OPTION,
    rdeps: { type: 'boolean', description: 'also show reverse dependencies (the images that use each one)' },
    'keep-going': { type: 'boolean', description: 'report every broken package and plan the rest (still exits 2)' },
  },
  details:
    'With IMAGE arguments (e.g. core-zlib), only those images and everything they need are shown.\n' +
    'Dependencies come from FROM <namespace>/<image> and COPY --from=<namespace>/<image> in the\n' +
    'stages each image is built from.',
};

export interface PlanRequest {
  readonly tree: string;
  readonly images?: readonly string[];
  readonly keepGoing?: boolean;
}

export interface PlanOutcome {
  readonly plan: Plan;
  /** Non-empty only with keepGoing. */
  readonly errors: readonly StrataError[];
}

/** The typed core of the command: load, plan, select. Throws the first error unless keepGoing. */
export function computePlan(req: PlanRequest): PlanOutcome {
  const keepGoing = req.keepGoing ?? false;
  const tree = loadTree(req.tree, { keepGoing, parse: parseContainerfile });
  const planned = planTree(tree, { keepGoing });
  const plan = selectClosure(planned.plan, req.images ?? []);
  return { plan, errors: [...tree.errors, ...planned.errors] };
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const tree = stringOpt(p, 'tree') ?? (io.cwd === process.cwd() ? '.' : io.cwd);
  const rdeps = boolOpt(p, 'rdeps');
  const { plan, errors } = computePlan({ tree, images: p.positionals, keepGoing: boolOpt(p, 'keep-going') });
  if (errors.length > 0) io.err(`${new StrataErrors(errors).format()}\n`);
  io.out(boolOpt(p, 'json') ? planToJson(plan, { rdeps }) : planToTable(plan, { rdeps }));
  return errors.length > 0 ? EXIT_INPUT : 0;
}
