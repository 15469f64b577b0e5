/**
 * `strata push --no-quorum`: publish without the quorum check, for private registries.
 * Refused without the explicit flag. Thin wrapper over publishImages.
 */
import { boolOpt, JSON_OPTION, parseCommand, STORE_OPTION, TREE_OPTION, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK, StrataError } from '../../errors.js';
import { formatPublishReport, publishImages, publishReportJson } from '../../publish/index.js';
import { commonOptions } from './publish.js';

export const spec: CommandSpec = {
  name: 'push',
  summary: 'push images to a registry WITHOUT the quorum check (needs --no-quorum)',
  usage: 'strata push --no-quorum [options] --to REGISTRY/NAMESPACE (IMAGE... | --all)',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    to: { type: 'string', valueName: 'REGISTRY/NAMESPACE', description: 'where to push, e.g. 127.0.0.1:5000/private' },
    tag: { type: 'string', multiple: true, valueName: 'TAG', description: 'another tag to point at the image, besides <version> and latest' },
    'no-quorum': { type: 'boolean', description: 'required: acknowledge that no signatures are checked' },
    all: { type: 'boolean', description: 'every image listed in digests/*.txt' },
    insecure: { type: 'boolean', description: 'allow plain HTTP to a registry that is not on loopback' },
    json: JSON_OPTION,
  },
  details: `
The same transfer as 'strata publish' (blobs first, skipping and mounting, then the
platform manifest under <version>, latest and each --tag) but without checking any
signature: for private use. Anyone consuming these images must verify them otherwise.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  if (!boolOpt(p, 'no-quorum')) {
    throw new StrataError('cli/usage', 'push: refusing to push without a quorum check unless --no-quorum is given', {
      hint: "use 'strata publish --signatures DIR' to push only images a quorum of maintainers signed, or add --no-quorum for private use",
    });
  }
  const report = await publishImages({ ...commonOptions(p, io, 'push'), quorum: 'skip' });
  if (boolOpt(p, 'json')) io.json(publishReportJson(report));
  else io.out(formatPublishReport(report));
  return EXIT_OK;
}
