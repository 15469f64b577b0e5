/** `strata doctor [--json]`: check every host requirement of building and say how to fix it. */
import path from 'node:path';
import { JSON_OPTION, STORE_OPTION, TREE_OPTION, boolOpt, intOpt, noPositionals, parseCommand, stringOpt, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { checkStoreToWrite } from '../store-options.js';
import { DEFAULT_MIN_FREE_BYTES, runDoctor, type DoctorCheck } from '../../sandbox/doctor.js';

export const spec: CommandSpec = {
  name: 'doctor',
  summary: 'check the host: bubblewrap, overlayfs, user namespaces, i386 execution, free disk, zstd',
  usage: 'strata doctor [options]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    'min-free-gib': { type: 'string', valueName: 'N', description: `free space required under the store (default ${DEFAULT_MIN_FREE_BYTES / 1024 ** 3})` },
    json: JSON_OPTION,
  },
  details: 'Exit 0 when every required check passes, 1 otherwise. Each failed check prints how to fix it. zstd is required only when the tree or its store needs it (a .zst source or ADD, zstd layers in the store); otherwise a missing zstd is a warning.',
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  noPositionals(p, 'doctor');
  const treeOpt = stringOpt(p, 'tree');
  const tree = path.resolve(io.cwd, treeOpt ?? '.');
  const storeOpt = stringOpt(p, 'store');
  const storeDir = path.resolve(io.cwd, storeOpt ?? path.join(tree, '.strata', 'store'));
  // the same checks as build's --store (ADRs 0173, 0177): a place build would refuse is bad input here too
  if (storeOpt !== undefined) checkStoreToWrite(storeOpt, storeDir);
  const minGib = intOpt(p, 'min-free-gib', 'doctor', 0);
  const checks = await runDoctor({ storeDir, tree, ...(minGib !== undefined ? { minFreeBytes: minGib * 1024 ** 3 } : {}) });
  const ok = checks.every((c) => c.ok || !c.required);
  if (boolOpt(p, 'json')) io.json({ ok, checks });
  else io.out(formatChecks(checks));
  return ok ? 0 : 1;
}

export function formatChecks(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length)) + 2;
  return checks
    .map((c) => {
      const status = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn';
      const fix = c.ok || !c.fix ? '' : ` — fix: ${c.fix}`;
      return `${status}  ${c.name.padEnd(width)}${c.detail}${fix}\n`;
    })
    .join('');
}
