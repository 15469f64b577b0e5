/**
 * `strata pull`: fetch an image only after its digest reaches the maintainer quorum, verify
 * every byte, and add it to the store atomically. Thin wrapper over pullVerified.
 */
import path from 'node:path';
import { boolOpt, intOpt, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { TRUST_FILE_OPTIONS, trustFileOptions } from '../trust-options.js';
import { checkOutputPath } from '../out-path.js';
import { EXIT_OK, StrataError } from '../../errors.js';
import { formatPullResult, pullResultJson, pullVerified } from '../../publish/index.js';
import { parseLookasideBase } from '../../trust/lookaside.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'pull',
  summary: 'pull an image into the store only if a quorum of maintainers signed its digest',
  usage: 'strata pull [options] --signatures DIR|URL REGISTRY/NAMESPACE/IMAGE(@sha256:HEX|:TAG)',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    signatures: { type: 'string', valueName: 'DIR|URL', description: 'lookaside signatures: a directory, file:// or http(s):// URL' },
    threshold: { type: 'string', valueName: 'M', description: 'distinct maintainers needed (default: strata.toml threshold, else 2)' },
    ...TRUST_FILE_OPTIONS,
    legacy: { type: 'boolean', description: 'also accept the legacy StageX payload' },
    insecure: { type: 'boolean', description: 'allow plain HTTP to a registry that is not on loopback' },
    json: JSON_OPTION,
  },
  details: `
Maintainers, keys and the threshold come from --tree (MAINTAINERS, keys/*.asc,
strata.toml), or from --maintainers and --keyring, as for 'strata check'. A tag is first resolved to a digest;
the signatures for that digest are read and the quorum checked before anything else is
fetched. Then the manifest and every blob are fetched and verified into the store's temp
area; only when all of them verified do they enter the store, and the image gets the ref
<image> (the last path component). On any failure the store is left unchanged.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  if (p.positionals.length !== 1) {
    throw new StrataError('cli/usage', `pull: expected one image reference, got ${p.positionals.length}`, {
      hint: "e.g. 'strata pull --signatures DIR 127.0.0.1:5000/stagex/core-zlib:latest' (or …@sha256:<hex>); run 'strata pull --help'",
    });
  }
  const signatures = stringOpt(p, 'signatures');
  if (signatures === undefined) {
    throw new StrataError('cli/usage', 'pull: --signatures DIR|URL is required', {
      hint: 'give the lookaside signatures (a directory, file:// or http(s):// URL): strata pulls only images a quorum of maintainers signed',
    });
  }
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const store = stringOpt(p, 'store');
  if (store !== undefined) checkOutputPath('--store', store, path.resolve(io.cwd, store), 'dir');
  const threshold = intOpt(p, 'threshold', 'pull');
  const trustFiles = trustFileOptions(p, io);
  const result = await pullVerified({
    reference: p.positionals[0]!,
    tree,
    store: storeDir(p, io),
    signatures: parseLookasideBase(signatures, io.cwd),
    ...(threshold !== undefined ? { threshold } : {}),
    ...trustFiles,
    legacy: boolOpt(p, 'legacy'),
    env: io.env,
    clientOptions: { insecure: boolOpt(p, 'insecure') },
    onProgress: (line) => io.err(`${line}\n`),
  });
  if (boolOpt(p, 'json')) io.json(pullResultJson(result));
  else io.out(formatPullResult(result));
  return EXIT_OK;
}
