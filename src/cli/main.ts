#!/usr/bin/env node
/**
 * strata's entry point: dispatch to one command, turn errors into one line and an exit code.
 * This is the only place that maps errors to exit codes.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_INPUT, EXIT_INTERNAL, StrataError, StrataErrors } from '../errors.js';
import { commands } from './registry.js';
import { closest } from './suggest.js';
import { errorLines, oneLine, processIO, type CliIO } from './io.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'usage: strata <command> [options]',
    '',
    'strata builds StageX-format trees into bit-for-bit reproducible OCI images,',
    'verifies them by rebuilding, and checks M-of-N maintainer signatures.',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${commands[n]!.summary}`),
    '',
    'options:',
    '  -h, --help     show this list (also: strata help)',
    '      --version  print the version of strata',
    '',
    "run 'strata <command> --help' (or 'strata help <command>') for a command's options",
    '',
  ].join('\n');
}

/** What a file-system error means for the user, and what to do about it. */
const ERRNO_ADVICE: Readonly<Record<string, { what: string; hint: string; kind: 'input' | 'io' }>> = {
  ENOENT: { what: 'no such file or directory', hint: 'check the path (and the options that name files and directories)', kind: 'input' },
  ENOTDIR: { what: 'a file is in the way where a directory is needed', hint: 'pass a directory, or remove the file that is in the way', kind: 'input' },
  EISDIR: { what: 'is a directory, where a file is needed', hint: 'pass a file, not a directory', kind: 'input' },
  EACCES: { what: 'permission denied', hint: 'check the permissions of the path, or run as a user who may use it', kind: 'input' },
  EPERM: { what: 'operation not permitted', hint: 'check the permissions and attributes of the path', kind: 'input' },
  EEXIST: { what: 'already exists', hint: 'remove it or choose another path', kind: 'input' },
  ENOTEMPTY: { what: 'directory not empty', hint: 'use a new or empty directory', kind: 'input' },
  ELOOP: { what: 'too many levels of symbolic links', hint: 'check the symbolic links along the path', kind: 'input' },
  ENAMETOOLONG: { what: 'file name too long', hint: 'use a shorter path', kind: 'input' },
  EROFS: { what: 'read-only file system', hint: 'choose a writable location', kind: 'input' },
  ENOSPC: { what: 'no space left on device', hint: "free some space (e.g. 'strata gc') and run again", kind: 'io' },
  EDQUOT: { what: 'disk quota exceeded', hint: "free some space (e.g. 'strata gc') and run again", kind: 'io' },
  EIO: { what: 'input/output error', hint: 'the disk may be failing: check the system log', kind: 'io' },
};

const SYSCALL_VERBS: Readonly<Record<string, string>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the directory',
  mkdtemp: 'create a directory',
  scandir: 'list the directory',
  opendir: 'list the directory',
  stat: 'look at',
  lstat: 'look at',
  access: 'use',
  rename: 'rename into place',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  readlink: 'read the link',
  symlink: 'create the link',
  link: 'create the link',
  copyfile: 'copy',
  chmod: 'change the mode of',
  utime: 'set the time of',
};

/**
 * A Node file-system error (errno code, syscall and path) as a StrataError naming the path;
 * undefined for anything else. Errors about paths are about the user's files and options:
 * exit 2, except a full or failing disk (exit 1).
 */
export function errorFromErrno(e: unknown): StrataError | undefined {
  if (!(e instanceof Error) || e instanceof StrataError) return undefined;
  const { code, path: file, syscall } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof file !== 'string') return undefined;
  const advice = ERRNO_ADVICE[code];
  if (!advice) return undefined;
  const verb = (syscall && SYSCALL_VERBS[syscall]) ?? syscall ?? 'use';
  return new StrataError(`io/${code.toLowerCase()}`, `cannot ${verb}: ${advice.what}`, {
    location: { file },
    hint: advice.hint,
    kind: advice.kind,
    cause: e,
  });
}

/**
 * The one line for a word that is not a command: the closest command when it is a likely
 * typo (suggest.ts), and a note when an option came before the command.
 */
function unknownCommandLine(name: string, known: readonly string[]): string {
  const list = "run 'strata --help' for the list of commands";
  if (name.startsWith('-')) {
    return `unknown command '${name}': options go after the command — write 'strata <command> ${name} …'; ${list}`;
  }
  const best = closest(name, known);
  return best !== undefined ? `unknown command '${name}' — did you mean 'strata ${best}'? ${list}` : `unknown command '${name}' — ${list}`;
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error like any other: one line on stderr, exit 2.
    io.err("no command given — run 'strata --help' for the list of commands\n");
    return EXIT_INPUT;
  }
  if (name === 'help' && rest.length > 0) {
    // `strata help plan` is `strata plan --help`.
    return main([rest[0]!, '--help'], io);
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(`strata ${version()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    io.err(`${oneLine(unknownCommandLine(name, Object.keys(commands)))}\n`);
    return EXIT_INPUT;
  }
  // --json counts only where the command takes it, and only among its options (not after '--').
  let jsonWanted = false;
  try {
    const mod = await entry.load();
    const optionArgs = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    jsonWanted = mod.spec?.options['json'] !== undefined && optionArgs.includes('--json');
    return await mod.run(rest, io);
  } catch (caught) {
    // A file-system error that reached here names a path the user gave (or one under it):
    // say which path and what to do, instead of a stack trace (docs/adr/0160).
    const e = errorFromErrno(caught) ?? caught;
    if (e instanceof StrataError) {
      if (io.env['STRATA_DEBUG'] && caught instanceof Error && caught.stack) io.err(`${caught.stack}\n`);
      io.err(`${errorLines(e)}\n`);
      // Several errors (e.g. sign refusing two images): the document lists each, as stderr does.
      if (jsonWanted) io.json({ error: e instanceof StrataErrors ? { ...e.toJSON(), errors: e.errors.map((x) => x.toJSON()) } : e.toJSON() });
      return e.exitCode;
    }
    io.err(`strata: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const code = await main(process.argv.slice(2), processIO());
  process.exitCode = code;
}
