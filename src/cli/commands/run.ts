/** `strata run IMAGE [-- CMD…]`: run a built image (or a --keep-failed root) in the sandbox. */
import path from 'node:path';
import { runImage } from '../../build/run-image.js';
import { StrataError } from '../../errors.js';
import { defaultStorePath } from '../../store/paths.js';
import { OciStore } from '../../store/store.js';
import { boolOpt, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';

export const spec: CommandSpec = {
  name: 'run',
  summary: 'Run a command in a built image, or in a root kept by build --keep-failed, inside the sandbox.',
  usage: 'strata run [options] IMAGE [-- CMD...]  |  strata run --root DIR -- CMD...',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    root: { type: 'string', valueName: 'DIR', description: 'use this directory as the root (e.g. the path build --keep-failed printed)' },
    'allow-network': { type: 'boolean', description: 'share the host network' },
  },
  details: `
Without a command the image's ENTRYPOINT and CMD run. Changes are thrown away. The exit
status is the command's.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const root = stringOpt(p, 'root');
  const [first, ...rest] = p.positionals;
  if (root === undefined && first === undefined) {
    throw new StrataError('cli/usage', 'run: name an IMAGE (or pass --root DIR)', { hint: "e.g. 'strata run core-busybox -- /bin/sh -c \"ls /\"'" });
  }
  const storeOpt = stringOpt(p, 'store');
  const storeDir = storeOpt !== undefined ? path.resolve(io.cwd, storeOpt) : defaultStorePath(path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.'));
  const store = await OciStore.open(storeDir);
  const result = await runImage({
    store,
    ...(root !== undefined ? { root: path.resolve(io.cwd, root) } : { image: first! }),
    argv: root !== undefined ? p.positionals : rest,
    network: boolOpt(p, 'allow-network'),
    onOutput: (chunk, stream) => (stream === 'stdout' ? io.out : io.err)(chunk.toString('utf8')),
  });
  if (result.timedOut) return 1;
  return result.exitCode;
}
