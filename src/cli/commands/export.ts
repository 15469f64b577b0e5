/** `strata export IMAGE --oci DIR`: one image of the store as its own OCI layout. */
import path from 'node:path';
import { checkDirContents } from '../../build/path-options.js';
import { StrataError } from '../../errors.js';
import { OciStore } from '../../store/store.js';
import { boolOpt, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { LAYER_COMPRESSION_OPTION, layerCompressionOpt } from '../layer-compression.js';
import { exportImageAs } from '../../store/recompress.js';
import { checkOutputPath } from '../out-path.js';
import { imageStoreDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'export',
  summary: 'Write one built image as its own OCI image layout (readable by skopeo copy oci:DIR …).',
  usage: 'strata export IMAGE --oci DIR [--tree DIR] [--store DIR] [--layer-compression gzip|zstd] [--json]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    oci: { type: 'string', valueName: 'DIR', description: 'the new OCI layout (a new or empty directory)' },
    'layer-compression': { ...LAYER_COMPRESSION_OPTION, description: 'write the layers in this pinned compression (gzip or zstd; default: as stored) — the same image build --layer-compression gives' },
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
  const layerCompression = layerCompressionOpt(p, 'export');
  // checked before anything is read or written (ADR 0173)
  const storeDir = imageStoreDir(p, io);
  const dir = path.resolve(io.cwd, oci);
  checkOutputPath('--oci', oci, dir, 'dir', { hint: '--oci takes a new or empty directory for the OCI layout' });
  checkDirContents('--oci', oci, dir, 'empty');
  const store = await OciStore.open(storeDir);
  const image = p.positionals[0]!;
  const desc = await exportImageAs(store, image, dir, layerCompression);
  if (boolOpt(p, 'json')) io.json({ image, digest: desc.digest, oci: dir });
  else io.out(`exported ${image} ${desc.digest} to ${dir}\n`);
  return 0;
}
