/**
 * ARG/ENV scoping as BuildKit does it, for the planner and the builder.
 *
 * - The global scope (visible in FROM lines only) holds the automatic platform args
 *   (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDPLATFORM, BUILDOS,
 *   BUILDARCH, BUILDVARIANT) and the ARGs before the first FROM: a build arg overrides the
 *   default; a build arg that no ARG declares is not visible.
 * - Inside a stage nothing global is visible until re-declared: `ARG NAME` without a
 *   default takes the build arg, else the global value (platform args included), else
 *   stays unset; `ARG NAME=default` takes the build arg, else the expanded default.
 * - ENV wins over ARG of the same name; ENV is inherited from a base stage (FROM <stage>),
 *   ARGs are not.
 *
 * Pure: no I/O.
 */
import type { SourceLocation } from '../errors.js';
import { containerfileError } from './errors.js';
import { expandWord } from './expand.js';
import type { Containerfile, Instruction, Loc } from './types.js';

export interface Platform {
  readonly os: string;
  readonly arch: string;
  /** '' when the platform has none. */
  readonly variant: string;
}

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386', i486: '386', i586: '386', i686: '386', armhf: 'arm', armel: 'arm',
};

/**
 * Parses and normalises `os/arch[/variant]` the way containerd's platforms package does
 * for the common cases: x86_64 → amd64, aarch64 → arm64, i?86 → 386, arm64/v8 → arm64,
 * amd64/v1 → amd64, arm without variant → arm/v7.
 */
export function parsePlatform(text: string, where?: { file: string; loc: Loc }): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw containerfileError('containerfile/bad-platform', `'${text}' is not a platform`, where?.file ?? '<platform>', where?.loc,
      'write os/arch[/variant], e.g. linux/amd64, linux/386 or linux/arm64/v8');
  }
  const os = parts[0]!;
  const arch = ARCH_ALIASES[parts[1]!] ?? parts[1]!;
  let variant = parts[2] ?? '';
  if (arch === 'arm64' && (variant === '8' || variant === 'v8')) variant = '';
  if (arch === 'amd64' && (variant === '1' || variant === 'v1')) variant = '';
  if (arch === 'arm') {
    if (variant === '') variant = 'v7';
    else if (/^\d+$/.test(variant)) variant = `v${variant}`;
  }
  return { os, arch, variant };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.arch}/${p.variant}` : `${p.os}/${p.arch}`;
}

/** BuildKit's automatic platform args for a target and a build platform. */
export function platformArgs(target: string, build: string = target): Record<string, string> {
  const t = parsePlatform(target);
  const b = parsePlatform(build);
  return {
    TARGETPLATFORM: formatPlatform(t), TARGETOS: t.os, TARGETARCH: t.arch, TARGETVARIANT: t.variant,
    BUILDPLATFORM: formatPlatform(b), BUILDOS: b.os, BUILDARCH: b.arch, BUILDVARIANT: b.variant,
  };
}

/** What a build is run with: build args and platforms. */
export interface BuildContext {
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Target platform, e.g. linux/amd64. */
  readonly platform: string;
  /** Build platform; defaults to the target platform (strata does not cross-build). */
  readonly buildPlatform?: string;
}

type Vars = ReadonlyMap<string, string>;

function lookupIn(...maps: Vars[]): (name: string) => string | undefined {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** The scope FROM lines see: platform args, then the global ARGs in order. */
export function globalScope(cf: Containerfile, ctx: BuildContext): Map<string, string> {
  const scope = new Map(Object.entries(platformArgs(ctx.platform, ctx.buildPlatform ?? ctx.platform)));
  const outer = new Map(scope);
  for (const ins of cf.globalArgs) declareArgs(ins, scope, outer, new Map(), ctx.buildArgs, cf);
  return scope;
}

function declareArgs(
  ins: Extract<Instruction, { kind: 'ARG' }>,
  args: Map<string, string>,
  outer: Vars,
  env: Vars,
  buildArgs: Readonly<Record<string, string>>,
  cf: Containerfile,
): void {
  for (const a of ins.args) {
    if (Object.hasOwn(buildArgs, a.name)) args.set(a.name, buildArgs[a.name]!);
    else if (a.default !== undefined) {
      args.set(a.name, expandWord(a.default, lookupIn(env, args), cf.directives.escape, { file: cf.file, loc: { line: a.loc.line, col: a.loc.col + a.name.length + 1 } }));
    } else if (outer.has(a.name)) args.set(a.name, outer.get(a.name)!);
  }
}

/** The variables visible at one point of a stage, updated instruction by instruction. */
export class StageScope {
  private readonly args = new Map<string, string>();
  private readonly env: Map<string, string>;
  constructor(
    private readonly cf: Containerfile,
    private readonly global: Vars,
    private readonly buildArgs: Readonly<Record<string, string>>,
    inheritedEnv: Vars = new Map(),
  ) {
    this.env = new Map(inheritedEnv);
  }

  /** ENV first, then ARG (ENV wins, as in Docker). */
  readonly lookup = (name: string): string | undefined => this.env.get(name) ?? this.args.get(name);

  /** Applies ARG and ENV instructions; other instructions do not change the scope. */
  apply(ins: Instruction): void {
    if (ins.kind === 'ARG') declareArgs(ins, this.args, this.global, this.env, this.buildArgs, this.cf);
    else if (ins.kind === 'ENV') {
      for (const p of ins.pairs) this.env.set(this.expand(p.key, p.loc), this.expand(p.value, p.loc));
    }
  }

  /** Expands a word with the current scope; errors point at `loc`. */
  expand(word: string, loc: Loc): string {
    return expandWord(word, this.lookup, this.cf.directives.escape, { file: this.cf.file, loc });
  }

  /** The ENV values set so far (what the image config gets). */
  envEntries(): [string, string][] {
    return [...this.env];
  }

  /** The ARG values declared so far (visible to RUN as environment). */
  argEntries(): [string, string][] {
    return [...this.args];
  }
}

export interface CopyFromRef {
  /** The expanded --from value. */
  readonly value: string;
  readonly location: SourceLocation;
  /** The earlier stage it names (by alias or index), or undefined for an image. */
  readonly stage: number | undefined;
}

export interface ResolvedStage {
  readonly index: number;
  readonly name: string | undefined;
  /** The FROM image word expanded in the global scope. */
  readonly image: string;
  readonly imageLocation: SourceLocation;
  /** FROM --platform expanded, if given. */
  readonly platform: string | undefined;
  /** The earlier stage FROM names, or undefined for an image. */
  readonly baseStage: number | undefined;
  readonly copyFrom: readonly CopyFromRef[];
}

/** The FROM image of every stage, expanded with global ARGs, build args and platform args. */
export function resolveFromImages(cf: Containerfile, ctx: BuildContext): string[] {
  const scope = globalScope(cf, ctx);
  return cf.stages.map((s) => expandWord(s.from.image, lookupIn(scope), cf.directives.escape, { file: cf.file, loc: fromImageLoc(s.from) }));
}

function fromImageLoc(from: Extract<Instruction, { kind: 'FROM' }>): Loc {
  return from.loc;
}

/**
 * Every stage with its FROM and COPY --from resolved: expanded words, and whether they
 * name an earlier stage (alias, case-insensitive, or index) or an image. A name of the
 * current or a later stage is an image reference, as in BuildKit.
 */
export function resolveStages(cf: Containerfile, ctx: BuildContext): ResolvedStage[] {
  const global = globalScope(cf, ctx);
  const names = new Map<string, number>();
  const finalEnv: Vars[] = [];
  const out: ResolvedStage[] = [];
  for (const stage of cf.stages) {
    const fromLoc = stage.from.loc;
    const image = expandWord(stage.from.image, lookupIn(global), cf.directives.escape, { file: cf.file, loc: fromLoc });
    const platform = stage.from.platform === undefined ? undefined
      : expandWord(stage.from.platform, lookupIn(global), cf.directives.escape, { file: cf.file, loc: stage.from.flags.find((f) => f.name === 'platform')?.loc ?? fromLoc });
    const baseStage = names.get(image.toLowerCase());
    const scope = new StageScope(cf, global, ctx.buildArgs, baseStage === undefined ? new Map() : finalEnv[baseStage]);
    const copyFrom: CopyFromRef[] = [];
    for (const ins of stage.instructions) {
      scope.apply(ins);
      if (ins.kind === 'COPY' && ins.from !== undefined) {
        const loc = ins.flags.find((f) => f.name === 'from')?.loc ?? ins.loc;
        const value = scope.expand(ins.from, { line: loc.line, col: loc.col + '--from='.length });
        const byIndex = /^\d+$/.test(value) && Number(value) < stage.index ? Number(value) : undefined;
        copyFrom.push({ value, location: { file: cf.file, ...loc }, stage: byIndex ?? names.get(value.toLowerCase()) });
      }
    }
    finalEnv.push(new Map(scope.envEntries()));
    out.push({ index: stage.index, name: stage.name, image, imageLocation: { file: cf.file, ...fromLoc }, platform, baseStage, copyFrom });
    if (stage.name !== undefined) names.set(stage.name, stage.index);
  }
  return out;
}

/**
 * Adapter for callers that keep variables in a Map: expands `word` with `vars` (unset
 * names expand to ''), errors located at `loc`.
 */
export function expandWithVars(word: string, vars: ReadonlyMap<string, string>, loc: SourceLocation, escape: '\\' | '`' = '\\'): string {
  return expandWord(word, (n) => vars.get(n), escape,
    loc.line !== undefined ? { file: loc.file, loc: { line: loc.line, col: loc.col ?? 1 } } : undefined);
}

/**
 * The stages `target` needs: itself and, transitively, every stage that `dependsOn` names
 * (a FROM of an earlier stage, a COPY --from of a stage). One walk for the planner, the
 * audit and anyone else who must not look at stages the target never uses.
 */
export function stagesNeeded(target: number, dependsOn: (index: number) => Iterable<number>): Set<number> {
  const need = new Set<number>();
  const stack = [target];
  while (stack.length) {
    const i = stack.pop()!;
    if (need.has(i)) continue;
    need.add(i);
    for (const d of dependsOn(i)) stack.push(d);
  }
  return need;
}

/** The earlier stages a resolved stage takes in: its FROM stage and its COPY --from stages. */
export function stageDependencies(s: ResolvedStage): number[] {
  const out = s.baseStage === undefined ? [] : [s.baseStage];
  for (const c of s.copyFrom) if (c.stage !== undefined) out.push(c.stage);
  return out;
}

