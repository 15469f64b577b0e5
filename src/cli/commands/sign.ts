/**
 * `strata sign`: sign the digests this machine reproduced into a lookaside directory.
 * Thin wrapper over signTree (src/trust/sign-tree.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { boolOpt, checkPathOption, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { checkOutputPath } from '../out-path.js';
import { EXIT_OK, StrataError } from '../../errors.js';
import { hasUrlScheme } from '../../trust/lookaside.js';
import { readPrivateKey } from '../../trust/openpgp.js';
import type { Signer } from '../../trust/sign.js';
import { signTree } from '../../trust/sign-tree.js';
import { storeDir } from '../store-options.js';

export const spec: CommandSpec = {
  name: 'sign',
  summary: 'sign the digests this machine reproduced (lookaside signatures)',
  usage: 'strata sign [options] --signatures DIR (--key FILE [--passphrase-file F] | --gpg FINGERPRINT) (IMAGE... | --all)',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    signatures: { type: 'string', valueName: 'DIR', description: 'the lookaside directory to add signatures to' },
    all: { type: 'boolean', description: 'sign every image listed in digests/*.txt' },
    key: { type: 'string', valueName: 'FILE', description: 'an OpenPGP private key file (signs in-process)' },
    'passphrase-file': { type: 'string', valueName: 'FILE', description: 'first line: the passphrase of --key' },
    gpg: { type: 'string', valueName: 'FINGERPRINT', description: 'sign with gpg --sign (gpg-agent, smartcard)' },
    gnupghome: { type: 'string', valueName: 'DIR', description: 'GNUPGHOME for --gpg (default: gpg’s own)' },
    json: JSON_OPTION,
  },
  details: `
Each image must be in the local store with exactly the digest digests/<stage>.txt records
(a signature means "I reproduced this"); otherwise nothing is signed and each refusal names
the image. The payload names <namespace>/<image>:<version>; signatures go to
DIR/<namespace>/<image>@sha256=<hex>/signature-N (first free N). A digest this key
already signed is skipped.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  const usage = (msg: string): StrataError => new StrataError('cli/usage', `sign: ${msg}`, { hint: "run 'strata sign --help'" });
  const signatures = stringOpt(p, 'signatures');
  if (signatures === undefined) {
    throw new StrataError('cli/usage', 'sign: --signatures DIR is required', { hint: 'give the lookaside directory to add the signatures to, e.g. --signatures ./signatures' });
  }
  if (hasUrlScheme(signatures)) throw usage('--signatures must be a local directory');
  imagesOrAll(p, 'sign');
  const all = boolOpt(p, 'all');
  const keyFile = stringOpt(p, 'key');
  const gpg = stringOpt(p, 'gpg');
  if ((keyFile === undefined) === (gpg === undefined)) throw usage('give exactly one of --key FILE or --gpg FINGERPRINT');
  if (keyFile === undefined && stringOpt(p, 'passphrase-file') !== undefined) throw usage('--passphrase-file goes with --key (gpg asks its agent)');
  if (gpg === undefined && stringOpt(p, 'gnupghome') !== undefined) throw usage('--gnupghome goes with --gpg');
  if (gpg !== undefined && !/^(?:0x)?(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(gpg.replace(/\s+/g, ''))) {
    throw new StrataError('trust/bad-fingerprint', `sign: --gpg '${gpg}' is not a full key fingerprint`, {
      hint: "give the 40 (or 64) hex digits of 'gpg --with-colons --fingerprint KEY' (the fpr line); short key ids can be forged",
    });
  }
  checkOutputPath('--signatures', signatures, path.resolve(io.cwd, signatures), 'dir');
  const gnupgHome = stringOpt(p, 'gnupghome');
  if (gnupgHome !== undefined) checkPathOption('--gnupghome', gnupgHome, path.resolve(io.cwd, gnupgHome), 'dir', { mustExist: true });
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const store = storeDir(p, io);

  let signer: Signer;
  if (keyFile !== undefined) {
    const keyPath = path.resolve(io.cwd, keyFile);
    const bytes = await fs.readFile(keyPath).catch((e: NodeJS.ErrnoException) => {
      throw new StrataError('trust/bad-private-key', `cannot read: ${e.code ?? e.message}`, { location: { file: keyFile }, hint: 'check the --key path' });
    });
    const ppFile = stringOpt(p, 'passphrase-file');
    let passphrase: string | undefined;
    if (ppFile !== undefined) {
      const text = await fs.readFile(path.resolve(io.cwd, ppFile), 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new StrataError('trust/bad-passphrase-file', `cannot read: ${e.code ?? e.message}`, { location: { file: ppFile }, hint: 'check the --passphrase-file path' });
      });
      passphrase = text.split('\n')[0] ?? '';
    }
    signer = { kind: 'key', privateKey: await readPrivateKey(new Uint8Array(bytes), keyFile, passphrase) };
  } else {
    const home = stringOpt(p, 'gnupghome');
    signer = { kind: 'gpg', fingerprint: gpg!.replace(/\s+/g, '').replace(/^0x/, ''), ...(home !== undefined ? { gnupgHome: path.resolve(io.cwd, home) } : {}) };
  }

  const results = await signTree({
    tree,
    store,
    images: all ? 'all' : p.positionals,
    signaturesDir: path.resolve(io.cwd, signatures),
    signer,
  });
  if (boolOpt(p, 'json')) {
    io.json(
      results.map((r) => ({
        image: r.image,
        version: r.version,
        digest: r.digest,
        status: r.result.status,
        n: r.result.n,
        fingerprint: r.result.fingerprint.toUpperCase(),
      })),
    );
  } else {
    const width = Math.max(5, ...results.map((r) => r.image.length));
    io.out(`${'IMAGE'.padEnd(width)}  DIGEST                STATUS\n`);
    for (const r of results) {
      const status = r.result.status === 'signed' ? `signed (signature-${r.result.n})` : `already signed (signature-${r.result.n})`;
      io.out(`${r.image.padEnd(width)}  ${r.digest.slice(0, 19)}…  ${status}\n`);
    }
    const signed = results.filter((r) => r.result.status === 'signed').length;
    io.out(`\n${signed} signed, ${results.length - signed} already signed by this key\n`);
  }
  return EXIT_OK;
}
