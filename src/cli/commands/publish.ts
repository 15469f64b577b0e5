/**
 * `strata publish`: push images whose digests reach the maintainer quorum, tag them
 * `<version>`, `latest` and --tag, and optionally write their signatures in lookaside
 * layout. Thin wrapper over publishImages (src/publish/publish.ts).
 */
import path from 'node:path';
import { boolOpt, intOpt, JSON_OPTION, listOpt, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec, type ParsedCommand, checkTreeOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { TRUST_FILE_OPTIONS, trustFileOptions } from '../trust-options.js';
import { checkOutputPath } from '../out-path.js';
import { EXIT_OK, StrataError } from '../../errors.js';
import { formatPublishReport, publishImages, publishReportJson, type PublishOptions } from '../../publish/index.js';
import { hasUrlScheme, parseLookasideBase } from '../../trust/lookaside.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'publish',
  summary: 'push images that reach the maintainer quorum to a registry, with tags and lookaside signatures',
  usage: 'strata publish [options] --to REGISTRY/NAMESPACE --signatures DIR|URL (IMAGE... | --all)',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    to: { type: 'string', valueName: 'REGISTRY/NAMESPACE', description: 'where to push, e.g. registry.example.org/stagex' },
    tag: { type: 'string', multiple: true, valueName: 'TAG', description: 'another tag to point at the image, besides <version> and latest' },
    signatures: { type: 'string', valueName: 'DIR|URL', description: 'lookaside signatures to check the quorum against' },
    threshold: { type: 'string', valueName: 'M', description: 'distinct maintainers needed (default: strata.toml threshold, else 2)' },
    ...TRUST_FILE_OPTIONS,
    lookaside: { type: 'string', valueName: 'DIR', description: 'also write the signatures that counted to DIR (a local directory) in lookaside layout' },
    all: { type: 'boolean', description: 'every image listed in digests/*.txt' },
    insecure: { type: 'boolean', description: 'allow plain HTTP to a registry that is not on loopback' },
    json: JSON_OPTION,
  },
  details: `
Every selected image must reach the quorum (the same check as 'strata check') before
anything is sent; one image short and nothing is pushed. Each image goes to
REGISTRY/NAMESPACE/<image>: blobs first (skipped when the registry has them, mounted
from another repository of the same run), then the platform manifest — the digest in
digests/*.txt and in the signatures — under the tags <version>, latest and each --tag.
Publishing again uploads nothing. Credentials come from containers auth.json or
~/.docker/config.json. Exit 0 when everything was pushed, 1 when a quorum or transfer
failed, 2 on bad input.`,
};

/** The parts publish and push share. */
export function commonOptions(p: ParsedCommand, io: CliIO, command: string): Omit<PublishOptions, 'quorum'> {
  const to = stringOpt(p, 'to');
  if (to === undefined) {
    throw new StrataError('cli/usage', `${command}: --to REGISTRY/NAMESPACE is required`, { hint: 'give the registry and namespace to push to, e.g. --to 127.0.0.1:5000/stagex' });
  }
  imagesOrAll(p, command);
  const all = boolOpt(p, 'all');
  if (!all && p.positionals.length === 0) {
    throw new StrataError('cli/usage', `${command}: name the images to ${command}, or pass --all`, { hint: `run 'strata ${command} --help'` });
  }
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  return {
    tree,
    store: storeDir(p, io),
    images: all ? 'all' : p.positionals,
    to,
    tags: listOpt(p, 'tag'),
    env: io.env,
    clientOptions: { insecure: boolOpt(p, 'insecure') },
    onProgress: (line) => io.err(`${line}\n`),
  };
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  const common = commonOptions(p, io, 'publish');
  const signatures = stringOpt(p, 'signatures');
  if (signatures === undefined) {
    throw new StrataError('cli/usage', 'publish: --signatures DIR|URL is required', {
      hint: "publish only pushes images a quorum signed; 'strata push --no-quorum' pushes without the check",
    });
  }
  const threshold = intOpt(p, 'threshold', 'publish');
  const trustFiles = trustFileOptions(p, io);
  const lookaside = stringOpt(p, 'lookaside');
  if (lookaside !== undefined && hasUrlScheme(lookaside)) {
    // 'https://host/x' would otherwise become the directory <cwd>/https:/host/x
    throw new StrataError('cli/usage', 'publish: --lookaside must be a local directory', {
      hint: 'publish writes the signatures there; copy that directory to the web server your lookaside URL names',
    });
  }
  if (lookaside !== undefined) checkOutputPath('--lookaside', lookaside, path.resolve(io.cwd, lookaside), 'dir');
  const report = await publishImages({
    ...common,
    quorum: {
      signatures: parseLookasideBase(signatures, io.cwd),
      ...(threshold !== undefined ? { threshold } : {}),
      ...trustFiles,
    },
    ...(lookaside !== undefined ? { lookasideOut: path.resolve(io.cwd, lookaside) } : {}),
  });
  if (boolOpt(p, 'json')) io.json(publishReportJson(report));
  else io.out(formatPublishReport(report));
  return EXIT_OK;
}
