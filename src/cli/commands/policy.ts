/**
 * `strata policy --out DIR`: policy.json + registries.d/*.yaml + key files for podman and
 * skopeo users. Thin wrapper over src/trust/policy.ts.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { boolOpt, JSON_OPTION, noPositionals, parseCommand, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption } from '../args.js';
import type { CliIO } from '../io.js';
import { TRUST_FILE_OPTIONS, trustFileOptions } from '../trust-options.js';
import { checkOutputPath } from '../out-path.js';
import { EXIT_OK, StrataError } from '../../errors.js';
import { buildPolicyFiles, writePolicyFiles } from '../../trust/policy.js';
import { hasUrlScheme } from '../../trust/lookaside.js';
import { loadKeys, readMaintainersFile, readTrustConfig } from '../../trust/tree-trust.js';

export const spec: CommandSpec = {
  name: 'policy',
  summary: 'write a containers policy.json and registries.d for podman/skopeo users',
  usage: 'strata policy --out DIR [options]',
  options: {
    tree: TREE_OPTION,
    out: { type: 'string', valueName: 'DIR', description: 'where to write policy.json, registries.d/ and keys/' },
    lookaside: {
      type: 'string',
      valueName: 'URL|DIR',
      description: 'where clients find signatures (default: <tree>/signatures as a file:// URL)',
    },
    registry: { type: 'string', valueName: 'HOST', description: 'registry host of the images (default docker.io)' },
    'key-dir': { type: 'string', valueName: 'DIR', description: 'where keys/ will be installed (default: <out>/keys)' },
    'all-of': { type: 'boolean', description: 'require every maintainer (N-of-N) instead of any one (1-of-N)' },
    ...TRUST_FILE_OPTIONS,
    json: JSON_OPTION,
  },
  details: `
containers-policy.json cannot express M-of-N: the default writes one signedBy requirement
whose keyring holds every maintainer key (any one signature is enough); --all-of writes
one signedBy per maintainer (all must sign). Use 'strata check' for an M-of-N quorum.`,
};

const MOFN_NOTE =
  "note: containers policy.json cannot express M-of-N; run 'strata check' to require a quorum of distinct maintainers";

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  const outOpt = stringOpt(p, 'out');
  if (outOpt === undefined) {
    throw new StrataError('cli/usage', 'policy: --out DIR is required', { hint: 'give the directory to write policy.json, registries.d/ and keys/ into, e.g. --out ./policy' });
  }
  noPositionals(p, 'policy');
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const out = path.resolve(io.cwd, outOpt);
  checkOutputPath('--out', outOpt, out, 'dir');
  const trustFiles = trustFileOptions(p, io);
  const lookasideOpt = stringOpt(p, 'lookaside');
  if (lookasideOpt !== undefined && hasUrlScheme(lookasideOpt) && !/^(https?|file):\/\//i.test(lookasideOpt)) {
    // 'ftp://host/x' would otherwise become the directory <cwd>/ftp:/host/x
    throw new StrataError('cli/usage', `policy: --lookaside '${lookasideOpt}' uses a scheme podman and skopeo cannot read`, {
      hint: 'give a directory, a file:// URL or an http(s):// URL',
    });
  }
  const lookaside =
    lookasideOpt === undefined
      ? pathToFileURL(path.join(tree, 'signatures')).href
      : /^(https?|file):\/\//i.test(lookasideOpt)
        ? lookasideOpt
        : pathToFileURL(path.resolve(io.cwd, lookasideOpt)).href;
  const registry = stringOpt(p, 'registry') ?? 'docker.io';
  if (!/^[A-Za-z0-9.-]+(:[0-9]+)?$/.test(registry)) {
    throw new StrataError('cli/usage', `policy: --registry '${registry}' is not a host[:port]`, { hint: 'e.g. --registry docker.io' });
  }
  const config = await readTrustConfig(tree);
  const maintainers = await readMaintainersFile(tree, trustFiles.maintainersFile);
  const { keyring: keys, missing } = await loadKeys(tree, maintainers, trustFiles.keyringFile);
  for (const f of missing) io.err(`warning: no public key for ${f.toUpperCase()}; it is left out of the policy\n`);
  const files = buildPolicyFiles({
    maintainers,
    keyring: keys,
    namespace: config.namespace,
    registry,
    lookaside,
    allOf: boolOpt(p, 'all-of'),
    keyDir: path.resolve(io.cwd, stringOpt(p, 'key-dir') ?? path.join(out, 'keys')),
  });
  const written = await writePolicyFiles(out, files);
  if (boolOpt(p, 'json')) {
    io.json({ scope: files.scope, mode: boolOpt(p, 'all-of') ? 'all-of' : 'any-of', lookaside, files: written, note: MOFN_NOTE });
  } else {
    io.out(
      [
        `wrote ${written.length} files under ${out} for scope ${files.scope}:`,
        ...written.map((w) => `  ${path.relative(out, w)}`),
        boolOpt(p, 'all-of')
          ? `policy: every one of ${files.requirementCount} maintainers must sign (N-of-N)`
          : 'policy: a signature by any one maintainer key is accepted (1-of-N)',
        `use: skopeo copy --policy ${path.join(out, 'policy.json')} --registries.d ${path.join(out, 'registries.d')} …`,
        MOFN_NOTE,
        '',
      ].join('\n'),
    );
  }
  return EXIT_OK;
}
