/**
 * Which images a Containerfile target needs: expand FROM and COPY --from words with
 * BuildKit's ARG scoping, tell stage references (alias or index) from image references,
 * and walk the stage graph back from the target. Pure: no I/O.
 */
import { StrataError, type SourceLocation } from '../errors.js';
import type { Containerfile, Instruction, Stage } from '../containerfile/types.js';
import { expandWord } from '../containerfile/expand.js';

/** Expands one word (`$V`, `${V:-x}`, …) with the given variables; throws on bad syntax. */
export type WordExpander = (word: string, vars: ReadonlyMap<string, string>, loc: SourceLocation) => string;

/** Docker's word expansion (containerfile/expand) with the file's escape character. */
export function dockerExpander(escape: '\\' | '`'): WordExpander {
  return (word, vars, loc) =>
    expandWord(word, (n) => vars.get(n), escape, { file: loc.file, loc: { line: loc.line ?? 1, col: loc.col ?? 1 } });
}

export type StageLink =
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly ref: string; readonly location: SourceLocation; readonly via: 'from' | 'copy' };

export interface StageInfo {
  readonly index: number;
  readonly name: string | undefined;
  /** What FROM and each COPY --from point at, in file order (FROM first). */
  readonly links: readonly StageLink[];
}

/** BuildKit's automatic platform args for a target platform (build = target: no cross builds). */
export function automaticPlatformArgs(platform: string): Map<string, string> {
  const [os = 'linux', arch = 'amd64', variant = ''] = platform.split('/');
  const m = new Map<string, string>();
  for (const side of ['TARGET', 'BUILD']) {
    m.set(`${side}PLATFORM`, platform);
    m.set(`${side}OS`, os);
    m.set(`${side}ARCH`, arch);
    m.set(`${side}VARIANT`, variant);
  }
  return m;
}

/**
 * Declare ARGs into a scope: the value is the build arg if given, else the default
 * (expanded in the scope so far), else the outer (global) value for a re-declaration,
 * else unset.
 */
function declareArgs(
  inst: Extract<Instruction, { kind: 'ARG' }>,
  scope: Map<string, string>,
  buildArgs: Readonly<Record<string, string>>,
  outer: ReadonlyMap<string, string> | undefined,
  expand: WordExpander,
  file: string,
): void {
  for (const a of inst.args) {
    if (Object.hasOwn(buildArgs, a.name)) scope.set(a.name, buildArgs[a.name]!);
    else if (a.default !== undefined) scope.set(a.name, expand(a.default, scope, { file, ...a.loc }));
    else if (outer?.has(a.name)) scope.set(a.name, outer.get(a.name)!);
  }
}

export function analyzeStages(
  cf: Containerfile,
  buildArgs: Readonly<Record<string, string>>,
  platform: string,
  expand: WordExpander = dockerExpander(cf.directives.escape),
): StageInfo[] {
  const file = cf.file;
  const auto = automaticPlatformArgs(platform);
  // global scope: automatic platform args, then global ARGs
  const global = new Map(auto);
  for (const g of cf.globalArgs) declareArgs(g, global, buildArgs, undefined, expand, file);

  const names = new Map<string, number>();
  cf.stages.forEach((s) => {
    if (s.name !== undefined && !names.has(s.name)) names.set(s.name, s.index);
  });

  return cf.stages.map((stage): StageInfo => {
    const links: StageLink[] = [];
    const fromLoc: SourceLocation = { file, ...stage.from.loc };
    const image = expand(stage.from.image, global, fromLoc);
    const earlier = names.get(image.toLowerCase());
    if (earlier !== undefined && earlier < stage.index) links.push({ kind: 'stage', index: earlier });
    else links.push({ kind: 'image', ref: image, location: fromLoc, via: 'from' });

    // stage scope: automatic platform args are visible only if re-declared (BuildKit);
    // ENV values also expand in --from.
    const scope = new Map<string, string>();
    const outer = global;
    for (const inst of stage.instructions) {
      if (inst.kind === 'ARG') declareArgs(inst, scope, buildArgs, outer, expand, file);
      else if (inst.kind === 'ENV') for (const p of inst.pairs) scope.set(p.key, expand(p.value, scope, { file, ...p.loc }));
      else if (inst.kind === 'COPY' && inst.from !== undefined) {
        const flag = inst.flags.find((f) => f.name === 'from');
        const loc: SourceLocation = { file, ...(flag?.loc ?? inst.loc) };
        links.push(copyLink(stage, expand(inst.from, scope, loc), names, cf.stages.length, loc));
      }
    }
    return { index: stage.index, name: stage.name, links };
  });
}

function copyLink(
  stage: Stage,
  from: string,
  names: ReadonlyMap<string, number>,
  count: number,
  loc: SourceLocation,
): StageLink {
  if (/^\d+$/.test(from)) {
    const index = Number(from);
    if (index >= stage.index || index >= count) {
      throw new StrataError('plan/bad-stage-index', `COPY --from=${from}: stage ${index} is not an earlier stage`, {
        location: loc,
        hint: `use the index (0-based) or name of a stage before this one (this is stage ${stage.index})`,
      });
    }
    return { kind: 'stage', index };
  }
  const named = names.get(from.toLowerCase());
  if (named !== undefined) {
    if (named === stage.index) {
      throw new StrataError('plan/bad-stage-index', `COPY --from=${from} names the stage it is in`, {
        location: loc,
        hint: 'copy from another stage or an image',
      });
    }
    return { kind: 'stage', index: named };
  }
  return { kind: 'image', ref: from, location: loc, via: 'copy' };
}

/** Index of the stage named `target`, or undefined. */
export function stageIndex(cf: Containerfile, target: string): number | undefined {
  const t = target.toLowerCase();
  return cf.stages.find((s) => s.name === t)?.index;
}

/**
 * The image links of every stage the target needs (walking FROM-stage and COPY --from
 * stage links back from it), in file order.
 */
export function imageLinksFor(stages: readonly StageInfo[], target: number): Extract<StageLink, { kind: 'image' }>[] {
  const need = new Set<number>();
  const stack = [target];
  while (stack.length) {
    const i = stack.pop()!;
    if (need.has(i)) continue;
    need.add(i);
    for (const l of stages[i]!.links) if (l.kind === 'stage') stack.push(l.index);
  }
  const out: Extract<StageLink, { kind: 'image' }>[] = [];
  for (const s of stages) {
    if (!need.has(s.index)) continue;
    for (const l of s.links) if (l.kind === 'image') out.push(l);
  }
  return out;
}
