/** `strata run IMAGE [-- CMD…]`: run a built image (or a --keep-failed root) in the sandbox. */
import path from 'node:path';
import { runImage } from '../../build/run-image.js';
import { StrataError } from '../../errors.js';
import { OciStore } from '../../store/store.js';
import { boolOpt, checkPathOption, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { checkOutputPath } from '../out-path.js';
import { imageStoreDir } from '../store-options.js';

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
Without a command the image's ENTRYPOINT and CMD run. In an IMAGE, changes are thrown
away. With --root the command runs in DIR itself: what it changes stays in DIR (and dev/
and proc/ mount points are made there if missing). The exit status is the command's.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const root = stringOpt(p, 'root');
  const [first, ...rest] = p.positionals;
  if (root === undefined && first === undefined) {
    throw new StrataError('cli/usage', 'run: name an IMAGE (or pass --root DIR)', { hint: "e.g. 'strata run core-busybox -- /bin/sh -c \"ls /\"'" });
  }
  // checked before anything is written (ADR 0173); a --root run needs no store
  let storeDir: string | undefined;
  if (root !== undefined) {
    const rootDir = path.resolve(io.cwd, root);
    checkPathOption('--root', root, rootDir, 'dir', { mustExist: true, hint: "--root takes the directory 'strata build --keep-failed' printed" });
    checkOutputPath('--root', root, rootDir, 'dir', { hint: "--root takes the directory 'strata build --keep-failed' printed" });
  } else {
    storeDir = imageStoreDir(p, io);
    const storeOpt = stringOpt(p, 'store');
    if (storeOpt !== undefined) checkOutputPath('--store', storeOpt, storeDir, 'dir', { hint: 'strata run writes its throw-away upper directory into the store' });
  }
  const store = storeDir === undefined ? undefined : await OciStore.open(storeDir);
  const result = await runImage({
    ...(store ? { store } : {}),
    ...(root !== undefined ? { root: path.resolve(io.cwd, root) } : { image: first! }),
    argv: root !== undefined ? p.positionals : rest,
    network: boolOpt(p, 'allow-network'),
    onOutput: (chunk, stream) => (stream === 'stdout' ? io.out : io.err)(chunk.toString('utf8')),
  });
  if (result.timedOut) return 1;
  return result.exitCode;
}
