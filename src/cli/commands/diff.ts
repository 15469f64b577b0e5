/** `strata diff A B`: compare two images; exit 0 when identical, 1 when they differ. */
import path from 'node:path';
import { StrataError } from '../../errors.js';
import { diffNamedImages } from '../../verify/diff-images.js';
import { renderComparison } from '../../verify/render.js';
import { JSON_OPTION, STORE_OPTION, TREE_OPTION, boolOpt, parseCommand, stringOpt, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'diff',
  summary: 'compare two images: manifests, configs, layers, files',
  usage: 'strata diff A B [--json] [--tree DIR] [--store DIR]',
  options: { tree: TREE_OPTION, store: STORE_OPTION, json: JSON_OPTION },
  details: [
    'A and B are images of the store (an image name such as core-zlib, or a manifest',
    'digest sha256:<hex>) or OCI layouts written as oci:DIR[:REF]. Differences are',
    'explained down to the file: content (with a short diff for small text files), size,',
    'mode, mtime, owner, link target, type, xattrs, present on one side only; config fields;',
    'layer count; same files with different compression.',
    'Exit 0 when the images are identical, 1 when they differ.',
  ].join('\n'),
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  if (p.positionals.length !== 2) {
    throw new StrataError('cli/usage', `diff: expected two images, got ${p.positionals.length}`, { hint: "run 'strata diff --help'" });
  }
  const [a, b] = p.positionals as [string, string];
  const cmp = await diffNamedImages(a, b, { storeDir: storeDir(p, io), cwd: io.cwd });
  if (boolOpt(p, 'json')) io.json(cmp);
  else io.out(`${renderComparison(cmp).join('\n')}\n`);
  return cmp.identical ? 0 : 1;
}
