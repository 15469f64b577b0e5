/** `strata fsck`: check the store; exit 1 listing each problem. */
import path from 'node:path';
import { JSON_OPTION, STORE_OPTION, TREE_OPTION, boolOpt, noPositionals, parseCommand, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { fsckStore } from '../../store/fsck.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'fsck',
  summary: 'check the store: every blob hash, every reference, no leftovers',
  usage: 'strata fsck [--tree DIR] [--store DIR] [--json]',
  options: { tree: TREE_OPTION, store: STORE_OPTION, json: JSON_OPTION },
  details: 'Exit 0 when the store is intact, 1 when any problem is found (each is listed).',
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  noPositionals(p, 'fsck');
  const report = await fsckStore(storeDir(p, io));
  if (boolOpt(p, 'json')) {
    io.json(report);
  } else {
    for (const pr of report.problems) io.out(`${path.join(report.store, pr.path)}: ${pr.message} [${pr.code}] — ${pr.hint}\n`);
    io.out(`${report.ok ? 'ok' : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`}: ${report.blobs} blobs, ${report.refs} images in ${report.store}\n`);
  }
  return report.ok ? 0 : 1;
}
