/**
 * Argument parsing shared by every command: node's util.parseArgs plus generated --help
 * and usage errors that exit 2 with a hint.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StrataError } from '../errors.js';
import { notATreeError } from '../tree/not-a-tree.js';
import { closest } from './suggest.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in --help. */
  readonly description: string;
  /** Placeholder for the value in --help, e.g. DIR. */
  readonly valueName?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** e.g. "strata plan [options] [IMAGE...]" */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Longer explanation printed after the options. */
  readonly details?: string;
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  readonly values: ParsedValues;
  readonly positionals: string[];
}

/** Options every command accepts. */
export const TREE_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'DIR',
  description: 'the tree to work on (default: the current directory)',
};
export const STORE_OPTION: OptionSpec = {
  type: 'string',
  valueName: 'DIR',
  description: 'the OCI layout store (default: <tree>/.strata/store)',
};
export const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'print machine-readable JSON' };
/**
 * --all where every image is already the default without IMAGE (plan, fetch, audit): accepted
 * so that `--all` works the same on every command that selects images.
 */
export function allImagesOption(what: string): OptionSpec {
  return { type: 'boolean', description: `${what} every image of the tree (the default without IMAGE)` };
}

/** Throw a usage error when both image names and --all were given. */
export function imagesOrAll(p: ParsedCommand, command: string): void {
  if (p.values['all'] === true && p.positionals.length > 0) {
    throw new StrataError('cli/usage', `${command}: give image names or --all, not both`, { hint: `run 'strata ${command} --help'` });
  }
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/**
 * Parse argv for a command. Returns undefined when --help was asked for (the help text is
 * written to `out`). Throws a usage StrataError (exit 2) on unknown options or bad values.
 */
export function parseCommand(
  spec: CommandSpec,
  argv: readonly string[],
  out: (text: string) => void,
): ParsedCommand | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  const all: Readonly<Record<string, OptionSpec>> = { ...spec.options, help: HELP_OPTION };
  for (const [name, o] of Object.entries(all)) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    // node's messages can run on with advice about '--'; keep the first sentence.
    const full = e instanceof Error ? e.message : String(e);
    const msg = (full.split('\n')[0] ?? full).split(/\.(?:\s|$)/)[0] ?? full;
    const ambiguous = /^Option '(-[^' ]+)[^']*' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      // `--grace -5`: node will not take a value that looks like an option. `-j=5` would
      // give '=5', so the advice names the long form.
      const given = ambiguous[1]!.replace(/,$/, '');
      const long = given.startsWith('--') ? given : `--${Object.entries(all).find(([, o]) => `-${o.short}` === given)?.[0] ?? given.slice(1)}`;
      throw new StrataError('cli/usage', `${spec.name}: ${given} needs a value, and the next argument looks like an option`, {
        hint: `write ${long}=VALUE for a value that starts with '-'`,
      });
    }
    const missing = /^Option '(?:-\w, )?--([^ ']+) <value>' argument missing/.exec(msg);
    if (missing) {
      // `plan --tree` at the end of the line.
      const name = missing[1]!;
      throw new StrataError('cli/usage', `${spec.name}: --${name} needs a value`, {
        hint: `write --${name} ${all[name]?.valueName ?? 'VALUE'}; run 'strata ${spec.name} --help' for the options`,
      });
    }
    const unknown = /^Unknown option '--([^'=]+)/.exec(msg);
    const guess = unknown ? closest(unknown[1]!, Object.keys(all)) : undefined;
    throw new StrataError('cli/usage', `${spec.name}: ${msg}`, {
      hint: `${guess !== undefined ? `did you mean --${guess}? ` : ''}run 'strata ${spec.name} --help' for the options`,
    });
  }
  if (parsed.values['help']) {
    out(helpText(spec));
    return undefined;
  }
  for (const [name, v] of Object.entries(parsed.values)) {
    // `--signatures ''` would silently mean the working directory.
    if (v === '' || (Array.isArray(v) && v.includes(''))) {
      throw new StrataError('cli/usage', `${spec.name}: --${name} needs a value, got an empty string`, {
        hint: `run 'strata ${spec.name} --help' for what --${name} takes`,
      });
    }
  }
  return { values: parsed.values as ParsedValues, positionals: parsed.positionals };
}

export function helpText(spec: CommandSpec): string {
  // Summaries are written as table cells (lower case, for the command list); here a sentence.
  const summary = spec.summary.charAt(0).toUpperCase() + spec.summary.slice(1);
  const lines = [`usage: ${spec.usage}`, '', summary, '', 'options:'];
  const entries = Object.entries({ ...spec.options, help: HELP_OPTION });
  const left = entries.map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const val = o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '';
    return `  ${short}--${name}${val}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  entries.forEach(([, o], i) => {
    lines.push(`${left[i]!.padEnd(width)}${o.description}${o.multiple ? ' (repeatable)' : ''}`);
  });
  if (spec.details) lines.push('', spec.details.trim());
  return lines.join('\n') + '\n';
}

export function stringOpt(p: ParsedCommand, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function boolOpt(p: ParsedCommand, name: string): boolean {
  return p.values[name] === true;
}

export function listOpt(p: ParsedCommand, name: string): string[] {
  const v = p.values[name];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  return [];
}

/** Parse a positive integer option, or throw a usage error naming it. */
export function intOpt(p: ParsedCommand, name: string, command: string, min = 1): number | undefined {
  const v = stringOpt(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) {
    throw new StrataError('cli/usage', `${command}: --${name} must be an integer ≥ ${min}, got '${v}'`, {
      hint: `run 'strata ${command} --help'`,
    });
  }
  return Number(v);
}

/** Throw a usage error when a command that takes no operands was given some. */
export function noPositionals(p: ParsedCommand, command: string): void {
  if (p.positionals.length > 0) {
    throw new StrataError('cli/usage', `${command}: unexpected argument '${p.positionals[0]}'`, {
      hint: `${command} takes no image names or other operands; run 'strata ${command} --help'`,
    });
  }
}

/**
 * Check a path option before anything is written: when `value` exists it must be a directory
 * (`kind: 'dir'`) or a regular file (`kind: 'file'`); with `mustExist`, it must exist.
 * `shown` is the path as the user wrote it, `resolved` where it is. Throws an input error
 * located at the path, naming the option.
 */
export function checkPathOption(
  option: string,
  shown: string,
  resolved: string,
  kind: 'dir' | 'file',
  opts: { mustExist?: boolean; hint?: string } = {},
): void {
  let st;
  try {
    st = statSync(resolved);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !opts.mustExist) return;
    if (code === 'ENOENT') {
      throw new StrataError('cli/no-such-path', `${option}: no such ${kind === 'dir' ? 'directory' : 'file'}`, {
        location: { file: shown },
        hint: opts.hint ?? `check the path given to ${option}`,
      });
    }
    if (code === 'ENOTDIR') {
      throw new StrataError('cli/not-a-directory', `${option}: a file is in the way (a parent of this path is not a directory)`, {
        location: { file: shown },
        hint: opts.hint ?? `check the path given to ${option}`,
      });
    }
    throw new StrataError('cli/unusable-path', `${option}: cannot use this path (${code ?? (e as Error).message})`, {
      location: { file: shown },
      hint: opts.hint ?? `check the path given to ${option} and its permissions`,
    });
  }
  if (kind === 'dir' && !st.isDirectory()) {
    throw new StrataError('cli/not-a-directory', `${option}: not a directory`, {
      location: { file: shown },
      hint: opts.hint ?? `${option} takes a directory`,
    });
  }
  if (kind === 'file' && st.isDirectory()) {
    throw new StrataError('cli/not-a-file', `${option}: a directory, where a file is needed`, {
      location: { file: shown },
      hint: opts.hint ?? `${option} takes a file`,
    });
  }
}

/**
 * Check --tree, when given, before anything else reads or writes under it: it must be an
 * existing directory. A mistyped --tree would otherwise surface as a missing digests/,
 * MAINTAINERS or store under it, or (doctor) pass unnoticed. The words are those of the
 * tree loader (tree/not-a-tree), so every command says it the same way. `shown` in the
 * message is the path as the user wrote it.
 */
export function checkTreeOption(p: ParsedCommand, cwd: string): void {
  const shown = stringOpt(p, 'tree');
  if (shown === undefined) return;
  let what: string | undefined;
  try {
    if (!statSync(path.resolve(cwd, shown)).isDirectory()) what = `the tree '${shown}' is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    what = code === 'ENOENT' || code === 'ENOTDIR' ? `the tree '${shown}' does not exist` : `cannot use the tree '${shown}' (${code ?? (e as Error).message})`;
  }
  if (what !== undefined) throw notATreeError(shown, what);
}
