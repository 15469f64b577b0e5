/**
 * `strata status`: one table of every image of the tree — recorded digest, whether the
 * store holds it and its size, bootstrapped or not, and (with --signatures) who signed it.
 */
import path from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, StrataError } from '../../errors.js';
import { statusJson, statusTable, treeStatus } from '../../status/status.js';
import { parseLookasideBase } from '../../trust/lookaside.js';
import { boolOpt, intOpt, JSON_OPTION, noPositionals, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption } from '../args.js';
import { cacheOption } from './audit.js';
import type { CliIO } from '../io.js';
import { TRUST_FILE_OPTIONS, trustFileOptions } from '../trust-options.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'status',
  summary: 'one row per image: digest, size in the store, bootstrapped, signers',
  usage: 'strata status [options] [--signatures DIR|URL [--threshold M]]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    cache: { type: 'string', valueName: 'DIR', description: 'the source cache (default: $STRATA_CACHE, else <tree>/.strata/sources)' },
    signatures: { type: 'string', valueName: 'DIR|URL', description: 'also check the quorum against these lookaside signatures' },
    threshold: { type: 'string', valueName: 'M', description: 'distinct maintainers needed (default: strata.toml threshold, else 2)' },
    keyring: { ...TRUST_FILE_OPTIONS.keyring, description: `with --signatures: ${TRUST_FILE_OPTIONS.keyring.description}` },
    maintainers: { ...TRUST_FILE_OPTIONS.maintainers, description: `with --signatures: ${TRUST_FILE_OPTIONS.maintainers.description}` },
    json: JSON_OPTION,
  },
  details: `
The digests come from digests/*.txt. An image is ok when the store holds exactly that
digest, it is bootstrapped (see 'strata audit'), and — with --signatures — at least M
distinct maintainers signed it (see 'strata check'). Exit 0 when every image is ok, else 1.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  noPositionals(p, 'status');
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const store = storeDir(p, io);
  const signatures = stringOpt(p, 'signatures');
  const threshold = intOpt(p, 'threshold', 'status');
  for (const option of ['maintainers', 'keyring'] as const) {
    if (stringOpt(p, option) !== undefined && signatures === undefined) {
      throw new StrataError('cli/usage', `status: --${option} only matters with --signatures`, { hint: "add --signatures DIR|URL, or run 'strata status --help'" });
    }
  }
  const trustFiles = trustFileOptions(p, io);
  if (threshold !== undefined && signatures === undefined) {
    throw new StrataError('cli/usage', 'status: --threshold only matters with --signatures', { hint: "add --signatures DIR|URL, or run 'strata status --help'" });
  }
  const rows = await treeStatus({
    tree,
    store,
    requireStore: stringOpt(p, 'store') !== undefined,
    cacheDir: cacheOption(p, io, tree),
    ...(signatures !== undefined ? { signatures: parseLookasideBase(signatures, io.cwd) } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...trustFiles,
    onWarning: (w) => io.err(`warning: ${w}\n`),
  });
  if (boolOpt(p, 'json')) io.json(statusJson(rows));
  else io.out(statusTable(rows));
  return rows.every((r) => r.ok) ? EXIT_OK : EXIT_CHECK_FAILED;
}
