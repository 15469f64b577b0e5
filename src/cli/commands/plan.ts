/**
 * `strata plan [--tree DIR] [--json] [--rdeps] [--keep-going] [IMAGE...|--all]`
 *
 * Loads the tree, plans it, prints the plan. Imports only the tree loader, the Containerfile
 * parser and the planner (no OpenPGP, no compression): it must start fast.
 */
import { setFlagsFromString } from 'node:v8';
import { StrataErrors, EXIT_INPUT } from '../../errors.js';
import { parseCommand, boolOpt, stringOpt, TREE_OPTION, JSON_OPTION, type CommandSpec, checkTreeOption, allImagesOption, imagesOrAll } from '../args.js';
import { errorLines, type CliIO } from '../io.js';
import { loadPlan } from '../../tree/load-plan.js';
import { planJson, planToTable } from '../../plan/render.js';

export const spec: CommandSpec = {
  name: 'plan',
  summary: 'Show the build plan: every image, its dependencies and its level (images of one level can build in parallel).',
  usage: 'strata plan [--tree DIR] [--json] [--rdeps] [--keep-going] [IMAGE...|--all]',
  options: {
    tree: TREE_OPTION,
    all: allImagesOption('plan'),
    json: JSON_OPTION,
    rdeps: { type: 'boolean', description: 'also show reverse dependencies (the images that use each one)' },
    'keep-going': { type: 'boolean', description: 'report every broken package and plan the rest (still exits 2)' },
  },
  details:
    'With IMAGE arguments (e.g. core-zlib), only those images and everything they need are shown.\n' +
    'Dependencies come from FROM <namespace>/<image> and COPY --from=<namespace>/<image> in the\n' +
    'stages each image is built from.',
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  imagesOrAll(p, 'plan');
  // A plan is one short pass over a few hundred files: V8's optimising compiler costs more
  // CPU than it saves there (measured with bench/plan, docs/adr/0023).
  setFlagsFromString('--max-opt=1');
  const tree = stringOpt(p, 'tree') ?? (io.cwd === process.cwd() ? '.' : io.cwd);
  const rdeps = boolOpt(p, 'rdeps');
  const { plan, errors } = loadPlan({ tree, images: p.positionals, keepGoing: boolOpt(p, 'keep-going') });
  if (errors.length > 0) io.err(`${errorLines(new StrataErrors(errors))}\n`);
  if (boolOpt(p, 'json')) {
    const planned = planJson(plan, { rdeps });
    // --keep-going: the broken packages are part of the answer (the same lines as stderr).
    io.json(errors.length > 0 ? { ...planned, errors: errors.map((e) => e.toJSON()) } : planned);
  } else {
    io.out(planToTable(plan, { rdeps }));
  }
  return errors.length > 0 ? EXIT_INPUT : 0;
}
