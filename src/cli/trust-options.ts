/**
 * `--maintainers FILE` and `--keyring FILE`: where a quorum check finds MAINTAINERS and the
 * maintainers' public keys instead of the tree's. One definition for check, status, policy,
 * publish and pull, so the options have the same names, help, defaults and errors.
 */
import path from 'node:path';
import { checkPathOption, stringOpt, type OptionSpec, type ParsedCommand } from './args.js';
import type { CliIO } from './io.js';
import type { TrustFiles } from '../trust/tree-trust.js';

const KEYRING_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'one keyring file (armored or binary) instead of <tree>/keys/*.asc',
};

const MAINTAINERS_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'a MAINTAINERS file instead of <tree>/MAINTAINERS',
};

/** The two options as a command's spec lists them. */
export const TRUST_FILE_OPTIONS = { keyring: KEYRING_OPTION, maintainers: MAINTAINERS_OPTION } as const;

/**
 * The files given to --maintainers and --keyring, resolved against the working directory;
 * each must be an existing file (an input error located at the path otherwise). An option
 * not given is left out: the tree's MAINTAINERS and keys/*.asc are used.
 */
export function trustFileOptions(p: ParsedCommand, io: CliIO): TrustFiles {
  const files: { maintainersFile?: string; keyringFile?: string } = {};
  for (const [option, key] of [['maintainers', 'maintainersFile'], ['keyring', 'keyringFile']] as const) {
    const given = stringOpt(p, option);
    if (given === undefined) continue;
    files[key] = path.resolve(io.cwd, given);
    checkPathOption(`--${option}`, given, files[key], 'file', { mustExist: true });
  }
  return files;
}
