/**
 * `strata trace IMAGE [--json]`: the chain from an image back to its seed (image →
 * dependency → … → seed source with its hash), or to the input that makes it not
 * bootstrapped, with its file:line:col. Exit 0 when bootstrapped, 1 when not, 2 on bad input.
 */
import { EXIT_CHECK_FAILED, EXIT_OK, StrataError } from '../../errors.js';
import { auditTree } from '../../audit/audit.js';
import { traceText, verdictJson } from '../../audit/render.js';
import { boolOpt, JSON_OPTION, parseCommand, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { userPath } from '../user-path.js';
import { CACHE_OPTION, cacheOption } from './audit.js';

export const spec: CommandSpec = {
  name: 'trace',
  summary: 'Show the chain from an image back to its seed, or to the input that makes it not bootstrapped.',
  usage: 'strata trace [--tree DIR] [--cache DIR] [--json] IMAGE',
  options: {
    tree: TREE_OPTION,
    cache: CACHE_OPTION,
    json: JSON_OPTION,
  },
  details: `
Each step names the image taken in and where (FROM / COPY --from at file:line:col); the last
step is the seed (hex0 source and its hash, or a binary seed from strata.toml), the offending
input with its location, or the note that the image takes in only text. --json prints the
image's audit entry: {"name", "bootstrapped", "reasons", "path", "seeds"}.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  if (p.positionals.length !== 1) {
    throw new StrataError('cli/usage', `trace: expected one IMAGE, got ${p.positionals.length}`, { hint: "run 'strata trace --help'" });
  }
  const tree = userPath(io.cwd, stringOpt(p, 'tree') ?? '.');
  const cacheDir = cacheOption(p, io, tree);
  const report = await auditTree({ tree, cacheDir, images: p.positionals });
  const v = report.verdicts[0]!;
  if (boolOpt(p, 'json')) io.json(verdictJson(v));
  else io.out(traceText(v));
  return v.bootstrapped ? EXIT_OK : EXIT_CHECK_FAILED;
}
