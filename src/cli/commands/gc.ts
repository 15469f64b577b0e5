/** `strata gc`: remove unreferenced blobs and leftovers of interrupted writes. */
import { JSON_OPTION, STORE_OPTION, TREE_OPTION, boolOpt, intOpt, noPositionals, parseCommand, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { gcStore } from '../../store/gc.js';
import { statePaths } from '../../build/state.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'gc',
  summary: 'remove unreferenced blobs, unused extracted layers and leftovers of interrupted builds from the store',
  usage: 'strata gc [--tree DIR] [--store DIR] [--grace SECONDS] [--dry-run] [--json]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    grace: { type: 'string', valueName: 'SECONDS', description: 'keep unreferenced blobs younger than this (default 600)' },
    'dry-run': { type: 'boolean', description: 'only report what would be removed' },
    json: JSON_OPTION,
  },
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  noPositionals(p, 'gc');
  const grace = intOpt(p, 'grace', 'gc', 0);
  const dir = storeDir(p, io);
  const report = await gcStore(dir, { ...(grace !== undefined ? { graceSeconds: grace } : {}), dryRun: boolOpt(p, 'dry-run'), state: statePaths(dir) });
  if (boolOpt(p, 'json')) io.json(report);
  else {
    const verb = report.dryRun ? 'would remove' : 'removed';
    io.out(`${verb} ${report.removedBlobs.length} blobs (${report.removedBytes} bytes) and ${report.removedTemps.length} temporary files; kept ${report.keptYoung} recent unreferenced blobs\n`);
    io.out(`${verb} ${report.removedLayers.length} unused extracted layers and ${report.removedScratch.length} leftovers of interrupted builds${report.activeBuilds.length ? `; extracted layers kept for running builds (pid ${report.activeBuilds.join(', ')})` : ''}\n`);
  }
  return 0;
}
