/** `strata export IMAGE --oci DIR`: one image of the store as its own OCI layout. */
import path from 'node:path';
import { StrataError } from '../../errors.js';
import { exportImage } from '../../store/export.js';
import { defaultStorePath } from '../../store/paths.js';
import { OciStore } from '../../store/store.js';
import { boolOpt, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';

export const spec: CommandSpec = {
  name: 'export',
  summary: 'Write one built image as its own OCI image layout (readable by skopeo copy oci:DIR …).',
  usage: 'strata export IMAGE --oci DIR [--tree DIR] [--store DIR] [--json]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    oci: { type: 'string', valueName: 'DIR', description: 'the new OCI layout (a new or empty directory)' },
    json: JSON_OPTION,
  },
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const oci = stringOpt(p, 'oci');
  if (p.positionals.length !== 1 || oci === undefined) {
    throw new StrataError('cli/usage', 'export: give exactly one IMAGE and --oci DIR', { hint: "e.g. 'strata export core-zlib --oci ./out'" });
  }
  const storeOpt = stringOpt(p, 'store');
  const storeDir = storeOpt !== undefined ? path.resolve(io.cwd, storeOpt) : defaultStorePath(path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.'));
  const store = await OciStore.open(storeDir);
  const image = p.positionals[0]!;
  const dir = path.resolve(io.cwd, oci);
  const desc = await exportImage(store, image, dir);
  if (boolOpt(p, 'json')) io.json({ image, digest: desc.digest, oci: dir });
  else io.out(`exported ${image} ${desc.digest} to ${dir}\n`);
  return 0;
}
