#!/usr/bin/env node
/**
 * strata's entry point: dispatch to one command, turn errors into one line and an exit code.
 * This is the only place that maps errors to exit codes.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_INPUT, EXIT_INTERNAL, StrataError } from '../errors.js';
import { commands } from './registry.js';
import { processIO, type CliIO } from './io.js';

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
    "run 'strata <command> --help' for a command's options",
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? EXIT_INPUT : 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(`strata ${version()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    io.err(`unknown command '${name}' — run 'strata --help' for the list of commands\n`);
    return EXIT_INPUT;
  }
  try {
    const mod = await entry.load();
    return await mod.run(rest, io);
  } catch (e) {
    if (e instanceof StrataError) {
      io.err(`${e.format()}\n`);
      if (rest.includes('--json')) io.out(`${JSON.stringify({ error: e.toJSON() })}\n`);
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
