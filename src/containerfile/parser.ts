/**
 * Containerfile parser: text → typed AST (types.ts) with a line:col on every node.
 *
 * Pure. Follows BuildKit's dockerfile frontend for what is accepted; what strata does not
 * support (RUN --mount/--security, COPY --parents/--exclude, ADD --keep-git-dir, ONBUILD)
 * is rejected with an error that says why (docs/adr/0010). Words are kept unexpanded;
 * see expand.ts. Exec (JSON) forms are never expanded.
 */
import { containerfileError, type ContainerfileErrorCode } from './errors.js';
import { lexContainerfile, type LogicalLine } from './lexer.js';
import type {
  ArgInstruction,
  CommandForm,
  Containerfile,
  Flag,
  FromInstruction,
  Instruction,
  InstructionKind,
  KeyValue,
  Loc,
  Stage,
} from './types.js';
import { extractFlags, isWhitespaceCode, splitOnWhitespaceAt, splitWordsAt, type PositionedWord } from './words.js';

export const INSTRUCTION_KEYWORDS: readonly InstructionKind[] = [
  'FROM', 'ARG', 'ENV', 'LABEL', 'RUN', 'COPY', 'ADD', 'WORKDIR', 'USER', 'ENTRYPOINT', 'CMD',
  'SHELL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'MAINTAINER',
];
const KEYWORD_SET: ReadonlySet<string> = new Set(INSTRUCTION_KEYWORDS);

type FlagType = 'string' | 'bool';

/** Flags each instruction accepts. */
const FLAG_SPECS: Readonly<Record<InstructionKind, Readonly<Record<string, FlagType>>>> = {
  FROM: { platform: 'string' },
  ARG: {},
  ENV: {},
  LABEL: {},
  RUN: { network: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool' },
  ADD: { checksum: 'string', chown: 'string', chmod: 'string', link: 'bool' },
  WORKDIR: {},
  USER: {},
  ENTRYPOINT: {},
  CMD: {},
  SHELL: {},
  EXPOSE: {},
  VOLUME: {},
  STOPSIGNAL: {},
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
  MAINTAINER: {},
};

/** Flags Docker knows that strata deliberately refuses, with the reason shown as hint. */
const UNSUPPORTED_FLAGS: Readonly<Partial<Record<InstructionKind, Readonly<Record<string, string>>>>> = {
  RUN: {
    mount: 'strata builds offline from declared inputs only; cache, secret, ssh and bind mounts would make the output depend on undeclared state — COPY the files into the stage (COPY --from=<stage> for other stages) instead',
    security: 'strata runs every RUN in the same unprivileged sandbox; remove --security',
  },
  COPY: {
    parents: 'copy each directory with its own COPY line instead of --parents',
    exclude: 'copy only what you need with explicit source paths instead of --exclude',
  },
  ADD: {
    'keep-git-dir': 'strata only ADDs hash-pinned sources; fetch git sources as archives (git_sha in package.toml)',
    exclude: 'add only what you need with explicit source paths instead of --exclude',
  },
};

const STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/;

/** Parses a Containerfile. Throws a StrataError (`containerfile/*`) on the first problem. */
export function parseContainerfile(text: string, file: string): Containerfile {
  const { directives, lines } = lexContainerfile(text, file);
  const ctx = new LineParser(file, directives.escape);
  const globalArgs: ArgInstruction[] = [];
  const stages: { index: number; from: FromInstruction; name: string | undefined; instructions: Instruction[] }[] = [];
  const stageNames = new Map<string, Loc>();
  for (const line of lines) {
    // A lone continuation at the end of the file joins nothing: BuildKit skips it too.
    if (line.text.trim() === '') continue;
    const ins = ctx.parse(line);
    if (ins.kind === 'FROM') {
      if (ins.alias !== undefined) {
        const prev = stageNames.get(ins.alias);
        if (prev) {
          throw containerfileError('containerfile/duplicate-stage-name',
            `stage name '${ins.alias}' is already used by the stage at line ${prev.line}`, file, ctx.lastAliasLoc ?? ins.loc,
            'give every stage a distinct name (names are case-insensitive)');
        }
        stageNames.set(ins.alias, ctx.lastAliasLoc ?? ins.loc);
      }
      stages.push({ index: stages.length, from: ins, name: ins.alias, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.kind !== 'ARG') {
        throw containerfileError('containerfile/instruction-before-from',
          `${ins.kind} before the first FROM`, file, ins.loc,
          'only ARG may come before the first FROM; move this instruction after a FROM line');
      }
      globalArgs.push(ins);
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  if (stages.length === 0) {
    throw containerfileError('containerfile/no-from', 'no FROM instruction', file, { line: 1, col: 1 },
      'a Containerfile must start a build stage with FROM <image> (use FROM scratch for an empty one)');
  }
  const frozen: Stage[] = stages;
  return { file, directives, globalArgs, stages: frozen };
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function nearestKeyword(word: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of INSTRUCTION_KEYWORDS) {
    const d = editDistance(word.toUpperCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function parseJsonArray(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return undefined;
  return v as string[];
}

class LineParser {
  lastAliasLoc: Loc | undefined;
  private line!: LogicalLine;
  constructor(
    private readonly file: string,
    private readonly escape: '\\' | '`',
  ) {}

  private at(offset: number): Loc {
    return this.line.locAt(offset);
  }

  private fail(code: ContainerfileErrorCode, message: string, offset: number, hint: string): never {
    throw containerfileError(code, message, this.file, this.at(offset), hint);
  }

  parse(line: LogicalLine): Instruction {
    this.line = line;
    this.lastAliasLoc = undefined;
    const text = line.text;
    // The keyword is the first word; like BuildKit, blanks before it are skipped (a line
    // joined onto a lone continuation can start with them).
    let kwStart = 0;
    while (kwStart < text.length && isWhitespaceCode(text.charCodeAt(kwStart))) kwStart++;
    let kwEnd = kwStart;
    while (kwEnd < text.length && !isWhitespaceCode(text.charCodeAt(kwEnd))) kwEnd++;
    const word = text.slice(kwStart, kwEnd);
    const upper = word.toUpperCase();
    if (upper === 'ONBUILD') {
      this.fail('containerfile/onbuild-unsupported', 'ONBUILD is not supported', kwStart,
        'ONBUILD triggers run in a later, unknown build and break reproducibility; write the instructions into the Containerfiles that need them');
    }
    if (!KEYWORD_SET.has(upper)) {
      const near = nearestKeyword(word);
      this.fail('containerfile/unknown-instruction', `unknown instruction '${word}'`, kwStart,
        (near ? `did you mean ${near}? ` : '') + `known instructions: ${INSTRUCTION_KEYWORDS.join(', ')}`);
    }
    const kind = upper as InstructionKind;
    const { flags: rawFlags, rest } = extractFlags(text, kwEnd);
    const flags = this.checkFlags(kind, rawFlags);
    const args = text.slice(rest);
    const base = { loc: this.at(kwStart), endLine: line.endLine, flags };
    switch (kind) {
      case 'FROM': return this.parseFrom(base, args, rest);
      case 'ARG': return this.parseArg(base, args, rest);
      case 'ENV': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, pairs: this.parseKeyValues(kind, args, rest) };
      case 'LABEL': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, pairs: this.parseKeyValues(kind, args, rest) };
      case 'RUN': {
        const command = this.commandForm(kind, args, rest);
        if (command.form === 'exec' && command.argv.length === 0) {
          this.fail('containerfile/missing-argument', 'RUN needs a command', rest, 'write RUN <command> or RUN ["prog", "arg"]');
        }
        const network = flagValue(flags, 'network');
        if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') {
          this.fail('containerfile/bad-flag-value', `--network=${network} is not a network mode`, flagOffset(this, flags, 'network'),
            'use --network=default, --network=none or --network=host');
        }
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, command, network, heredocs: line.heredocs };
      }
      case 'COPY':
      case 'ADD': {
        const list = this.wordList(args);
        if (list.length < 2) {
          this.fail('containerfile/missing-argument', `${kind} needs at least one source and a destination`, rest,
            `write ${kind} <src>... <dest>`);
        }
        const sources = list.slice(0, -1);
        const dest = list[list.length - 1]!;
        const link = boolFlag(flags, 'link');
        if (kind === 'COPY') {
          return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, from: flagValue(flags, 'from'), chown: flagValue(flags, 'chown'), chmod: flagValue(flags, 'chmod'),
            link, sources, dest, heredocs: line.heredocs };
        }
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, checksum: flagValue(flags, 'checksum'), chown: flagValue(flags, 'chown'), chmod: flagValue(flags, 'chmod'),
          link, sources, dest, heredocs: line.heredocs };
      }
      case 'WORKDIR': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, path: this.single(kind, args, rest, 'a directory') };
      case 'USER': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, user: this.single(kind, args, rest, 'a user[:group]') };
      case 'STOPSIGNAL': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, signal: this.single(kind, args, rest, 'a signal name or number') };
      case 'MAINTAINER': return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, name: this.single(kind, args, rest, 'a name') };
      case 'ENTRYPOINT':
      case 'CMD': {
        if (args.trim() === '') this.fail('containerfile/missing-argument', `${kind} needs a command`, rest, `write ${kind} ["prog", "arg"]`);
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, command: this.commandForm(kind, args, rest) };
      }
      case 'SHELL': {
        const argv = parseJsonArray(args);
        if (argv === undefined) {
          this.fail('containerfile/shell-not-json', 'SHELL needs its arguments in JSON form', rest,
            'write SHELL ["/bin/sh", "-c"] (a JSON array of strings with double quotes)');
        }
        if (argv.length === 0) this.fail('containerfile/missing-argument', 'SHELL needs at least one argument', rest, 'write SHELL ["/bin/sh", "-c"]');
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, argv };
      }
      case 'EXPOSE': {
        const ports = splitWordsAt(args, this.escape).map((w) => w.text);
        if (ports.length === 0) this.fail('containerfile/missing-argument', 'EXPOSE needs at least one port', rest, 'write EXPOSE <port>[/<proto>]...');
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, ports };
      }
      case 'VOLUME': {
        const paths = this.wordList(args);
        if (paths.length === 0) this.fail('containerfile/missing-argument', 'VOLUME needs at least one path', rest, 'write VOLUME /path or VOLUME ["/path"]');
        if (paths.some((p) => p.trim() === '')) this.fail('containerfile/missing-argument', 'VOLUME paths cannot be empty', rest, 'remove the empty path');
        return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind, paths };
      }
      case 'HEALTHCHECK': return this.parseHealthcheck(base, args, rest);
    }
  }

  private checkFlags(kind: InstructionKind, raw: ReturnType<typeof extractFlags>['flags']): Flag[] {
    if (raw.length === 0) return [];
    const spec = FLAG_SPECS[kind];
    const seen = new Set<string>();
    const out: Flag[] = [];
    for (const f of raw) {
      const unsupported = UNSUPPORTED_FLAGS[kind]?.[f.name];
      if (unsupported !== undefined) {
        this.fail('containerfile/unsupported-flag', `${kind} --${f.name} is not supported by strata`, f.start, unsupported);
      }
      const type = spec[f.name];
      if (type === undefined) {
        const known = Object.keys(spec);
        const near = known.filter((k) => editDistance(k, f.name) <= 2).sort((a, b) => editDistance(a, f.name) - editDistance(b, f.name))[0];
        this.fail('containerfile/unknown-flag', `unknown flag --${f.name} for ${kind}`, f.start,
          known.length ? `${near ? `did you mean --${near}? ` : ''}${kind} accepts ${known.map((k) => `--${k}`).join(', ')}` : `${kind} takes no flags; remove --${f.name}`);
      }
      if (seen.has(f.name)) {
        this.fail('containerfile/duplicate-flag', `--${f.name} given twice`, f.start, `keep one --${f.name}`);
      }
      seen.add(f.name);
      if (type === 'string' && f.value === undefined) {
        this.fail('containerfile/flag-missing-value', `--${f.name} needs a value`, f.start, `write --${f.name}=<value>`);
      }
      if (type === 'bool' && f.value !== undefined && f.value !== 'true' && f.value !== 'false') {
        this.fail('containerfile/bad-flag-value', `--${f.name}=${f.value} is not true or false`, f.start, `write --${f.name} or --${f.name}=false`);
      }
      out.push({ name: f.name, value: f.value, loc: this.at(f.start) });
    }
    return out;
  }

  private parseFrom(base: BaseFields, args: string, rest: number): FromInstruction {
    const words = splitOnWhitespaceAt(args);
    if (words.length === 0) this.fail('containerfile/missing-argument', 'FROM needs an image', rest, 'write FROM <image> [AS <name>]');
    let alias: string | undefined;
    if (words.length === 3 && words[1]!.text.toLowerCase() === 'as') {
      const aliasWord = words[2]!;
      alias = aliasWord.text.toLowerCase();
      this.lastAliasLoc = this.at(rest + aliasWord.start);
      if (!STAGE_NAME.test(alias)) {
        this.fail('containerfile/bad-stage-name', `invalid stage name '${aliasWord.text}'`, rest + aliasWord.start,
          'stage names start with a letter and contain only letters, digits, -, _ and .');
      }
    } else if (words.length !== 1) {
      const bad = words[1]!;
      this.fail('containerfile/too-many-arguments', 'FROM takes an image and optionally AS <name>', rest + bad.start,
        'write FROM [--platform=<p>] <image> [AS <name>]');
    }
    return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind: 'FROM', image: words[0]!.text, platform: flagValue(base.flags, 'platform'), alias };
  }

  private parseArg(base: BaseFields, args: string, rest: number): ArgInstruction {
    const words = splitWordsAt(args, this.escape);
    if (words.length === 0) this.fail('containerfile/missing-argument', 'ARG needs a name', rest, 'write ARG <name>[=<default>]');
    const out = words.map((w) => {
      const eq = w.text.indexOf('=');
      const name = eq < 0 ? w.text : w.text.slice(0, eq);
      if (name === '') this.fail('containerfile/empty-key', 'ARG name is empty', rest + w.start, 'write ARG <name>=<default>');
      return { name, default: eq < 0 ? undefined : w.text.slice(eq + 1), loc: this.at(rest + w.start) };
    });
    return { loc: base.loc, endLine: base.endLine, flags: base.flags, kind: 'ARG', args: out };
  }

  /** ENV/LABEL: `KEY name value` (old form, one pair) or `KEY n=v n2="v 2"...`. */
  private parseKeyValues(kind: 'ENV' | 'LABEL', args: string, rest: number): KeyValue[] {
    const words = splitWordsAt(args, this.escape);
    if (words.length === 0) this.fail('containerfile/missing-argument', `${kind} needs a name and a value`, rest, `write ${kind} <name>=<value>`);
    const first = words[0]!;
    if (!first.text.includes('=')) {
      const m = /^(\S+)\s+(\S[\s\S]*)$/.exec(args.slice(first.start));
      if (!m) {
        this.fail('containerfile/missing-argument', `${kind} ${first.text} has no value`, rest + first.start,
          `write ${kind} ${first.text}=<value>`);
      }
      return [{ key: m[1]!, value: m[2]!.trimEnd(), loc: this.at(rest + first.start) }];
    }
    return words.map((w: PositionedWord) => {
      const eq = w.text.indexOf('=');
      if (eq < 0) {
        this.fail('containerfile/missing-equals', `'${w.text}' is not of the form name=value`, rest + w.start,
          `in the ${kind} name=value form every word needs '='; quote values with spaces: name="a b"`);
      }
      if (eq === 0) this.fail('containerfile/empty-key', `${kind} name is empty`, rest + w.start, 'write <name>=<value>');
      return { key: w.text.slice(0, eq), value: w.text.slice(eq + 1), loc: this.at(rest + w.start) };
    });
  }

  private commandForm(kind: InstructionKind, args: string, rest: number): CommandForm {
    if (args.trim() === '') this.fail('containerfile/missing-argument', `${kind} needs a command`, rest, `write ${kind} <command>`);
    const argv = parseJsonArray(args);
    if (argv !== undefined) return { form: 'exec', argv };
    return { form: 'shell', script: args.trimEnd() };
  }

  /** JSON array if it parses, else whitespace-separated words (quotes respected and kept). */
  private wordList(args: string): string[] {
    const json = parseJsonArray(args);
    if (json !== undefined) return json;
    return splitWordsAt(args, this.escape).map((w) => w.text);
  }

  private single(kind: InstructionKind, args: string, rest: number, what: string): string {
    const v = args.trimEnd(); // trimEnd removes exactly what /\s+$/ matches
    if (v === '') this.fail('containerfile/missing-argument', `${kind} needs ${what}`, rest, `write ${kind} <${what}>`);
    return v;
  }

  private parseHealthcheck(base: BaseFields, args: string, rest: number): Instruction {
    const m = /^(\S*)(\s*)/.exec(args)!;
    const type = m[1]!.toUpperCase();
    const f = base.flags;
    for (const name of ['interval', 'timeout', 'start-period', 'start-interval']) {
      const v = flagValue(f, name);
      if (v !== undefined && !DURATION.test(v)) {
        this.fail('containerfile/bad-flag-value', `--${name}=${v} is not a duration`, flagOffset(this, f, name), 'write a duration such as 30s, 1m30s or 500ms');
      }
    }
    const retries = flagValue(f, 'retries');
    if (retries !== undefined && !/^\d+$/.test(retries)) {
      this.fail('containerfile/bad-flag-value', `--retries=${retries} is not a whole number`, flagOffset(this, f, 'retries'), 'write --retries=<n>');
    }
    const common = {
      loc: base.loc, endLine: base.endLine, flags: base.flags, kind: 'HEALTHCHECK' as const,
      interval: flagValue(f, 'interval'), timeout: flagValue(f, 'timeout'), startPeriod: flagValue(f, 'start-period'),
      startInterval: flagValue(f, 'start-interval'), retries,
    };
    if (type === 'NONE') {
      const after = args.slice(m[0].length).trim();
      if (after !== '') this.fail('containerfile/too-many-arguments', 'HEALTHCHECK NONE takes no arguments', rest + m[0].length, 'write HEALTHCHECK NONE alone');
      if (f.length > 0) this.fail('containerfile/too-many-arguments', 'HEALTHCHECK NONE takes no flags', flagOffset(this, f, f[0]!.name), 'write HEALTHCHECK NONE alone');
      return { ...common, command: undefined };
    }
    if (type === 'CMD') {
      const cmdArgs = args.slice(m[0].length);
      return { ...common, command: this.commandForm('HEALTHCHECK', cmdArgs, rest + m[0].length) };
    }
    if (type === '') this.fail('containerfile/missing-argument', 'HEALTHCHECK needs NONE or CMD <command>', rest, 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
    return this.fail('containerfile/bad-healthcheck', `unknown HEALTHCHECK type '${m[1]}'`, rest, 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
  }

  /** Offset of a flag in the current line (for error locations). */
  offsetOf(loc: Loc): number {
    return this.line.offsetOf(loc);
  }
}

interface BaseFields {
  readonly loc: Loc;
  readonly endLine: number;
  readonly flags: readonly Flag[];
}

function flagValue(flags: readonly Flag[], name: string): string | undefined {
  return flags.find((f) => f.name === name)?.value;
}

function boolFlag(flags: readonly Flag[], name: string): boolean {
  const f = flags.find((x) => x.name === name);
  return f !== undefined && f.value !== 'false';
}

function flagOffset(p: LineParser, flags: readonly Flag[], name: string): number {
  const f = flags.find((x) => x.name === name);
  return f ? p.offsetOf(f.loc) : 0;
}
