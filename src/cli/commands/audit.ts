/**
 * `strata audit [IMAGE...|--all] [--json]`: for every image, does everything in it descend
 * from a declared seed through build steps of this tree? Exit 0 when every audited image is
 * bootstrapped, 1 when one is not (a failed check), 2 on bad input.
 */
import path from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../../errors.js';
import { auditTree } from '../../audit/audit.js';
import { auditTable, verdictJson } from '../../audit/render.js';
import { defaultCacheDir } from '../../source/cache.js';
import { boolOpt, checkPathOption, JSON_OPTION, parseCommand, stringOpt, TREE_OPTION, type CommandSpec, type ParsedCommand, checkTreeOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { userPath } from '../user-path.js';

export const CACHE_OPTION = { type: 'string', valueName: 'DIR', description: 'the source cache (default: $STRATA_CACHE, else <tree>/.strata/sources)' } as const;

export const spec: CommandSpec = {
  name: 'audit',
  summary: 'For every image: does everything in it descend from a declared seed through build steps of this tree?',
  usage: 'strata audit [--tree DIR] [--cache DIR] [--json] [IMAGE...|--all]',
  options: {
    tree: TREE_OPTION,
    cache: CACHE_OPTION,
    all: { type: 'boolean', description: 'audit every image of the tree (the default without IMAGE)' },
    json: JSON_OPTION,
  },
  details: `
Roots are the [seed] tables of package.toml (hex0 source decoded by strata, hash checked)
and the binary seeds strata.toml declares (seeds = [{ path, sha256 }]). An image is not
bootstrapped when it takes in a base or COPY --from image from outside the tree, an ADD of a
URL, a non-text file from the package directory, a source archive with prebuilt executables
(ELF or ar members) or a source that is not fetched (it cannot be audited), or an image of
the tree that is not bootstrapped. Exit 0 when every audited image is bootstrapped, 1 if not.
'strata trace IMAGE' shows the chain behind one answer.`,
};

/** The source cache of --cache (checked: a directory if it exists), else the default. */
export function cacheOption(p: ParsedCommand, io: CliIO, tree: string): string {
  const given = stringOpt(p, 'cache');
  if (given !== undefined) checkPathOption('--cache', given, path.resolve(io.cwd, given), 'dir');
  return userPath(io.cwd, defaultCacheDir(tree, given, io.env));
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  imagesOrAll(p, 'audit');
  const tree = userPath(io.cwd, stringOpt(p, 'tree') ?? '.');
  const cacheDir = cacheOption(p, io, tree);
  const report = await auditTree({ tree, cacheDir, images: p.positionals });
  if (boolOpt(p, 'json')) io.json(report.verdicts.map(verdictJson));
  else io.out(auditTable(report.verdicts));
  return report.verdicts.every((v) => v.bootstrapped) ? EXIT_OK : EXIT_CHECK_FAILED;
}
