/**
 * What an image's build takes in, pure: walk the stages its target needs (as the planner
 * does) and collect, in file order, every base image, every COPY --from image, every
 * ADD <url> and every file COPY/ADD brings in from the build context — with the words
 * expanded in BuildKit's ARG/ENV scope and resolved against the context listing.
 */
import type { SourceLocation } from '../errors.js';
import type { Containerfile, Instruction } from '../containerfile/types.js';
import { globalScope, resolveStages, stageDependencies, stagesNeeded, StageScope } from '../containerfile/scope.js';
import { classifyImageRef } from '../plan/image-ref.js';
import type { PackageDef } from '../tree/types.js';
import { ContextView } from './context.js';
import type { ImageInput, ImageInputs, Via } from './types.js';

/** The image of a package to collect inputs for (a PlannedImage has these fields). */
export interface ImageTarget {
  readonly name: string;
  readonly targetIndex: number;
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
const GIT_SSH_RE = /^[a-z0-9_.-]+@[a-z0-9.-]+:/i;

function platformFor(pkg: PackageDef, treePlatform: string): string {
  return pkg.platforms.includes(treePlatform) ? treePlatform : (pkg.platforms[0] ?? treePlatform);
}

function isHeredocWord(word: string, ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>): boolean {
  const m = /^\d?<<-?["']?([^"']+)["']?$/.exec(word);
  return m !== null && ins.heredocs.some((h) => h.delimiter === m[1]);
}

/**
 * The inputs of one image of `pkg`, in Containerfile order. `context` is the package's
 * build context. Throws an input StrataError for a COPY/ADD source that matches nothing
 * or leaves the context (the build would refuse it too).
 */
export function imageInputs(
  pkg: PackageDef,
  image: ImageTarget,
  namespace: string,
  treePlatform: string,
  context: ContextView,
): ImageInputs {
  const cf = pkg.containerfile as Containerfile;
  const ctx = { buildArgs: pkg.buildArgs, platform: platformFor(pkg, treePlatform) };
  const stages = resolveStages(cf, ctx);
  const need = stagesNeeded(image.targetIndex, (i) => stageDependencies(stages[i]!));
  const global = globalScope(cf, ctx);
  const out: ImageInput[] = [];
  const seen = new Set<string>();
  const push = (key: string, input: ImageInput): void => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(input);
  };
  const imageRef = (ref: string, via: Via, location: SourceLocation): void => {
    const c = classifyImageRef(ref, namespace);
    if (c.kind === 'scratch') return;
    if (c.kind === 'tree') push(`tree:${c.image}`, { kind: 'tree-image', image: c.image, via, location });
    else push(`ext:${c.ref}`, { kind: 'external-image', ref: c.ref, via, location });
  };

  // ENV is inherited from a base stage: replay every stage in order to know it.
  const finalEnv: Map<string, string>[] = [];
  for (const stage of cf.stages) {
    const resolved = stages[stage.index]!;
    const inherited = resolved.baseStage === undefined ? new Map<string, string>() : finalEnv[resolved.baseStage]!;
    const scope = new StageScope(cf, global, ctx.buildArgs, inherited);
    const wanted = need.has(stage.index);
    if (wanted && resolved.baseStage === undefined) imageRef(resolved.image, 'FROM', resolved.imageLocation);
    let copyFromIndex = 0;
    for (const ins of stage.instructions) {
      scope.apply(ins);
      if (ins.kind !== 'COPY' && ins.kind !== 'ADD') continue;
      if (ins.kind === 'COPY' && ins.from !== undefined) {
        const ref = resolved.copyFrom[copyFromIndex++]!;
        if (wanted && ref.stage === undefined) imageRef(ref.value, 'COPY --from', ref.location);
        continue;
      }
      if (!wanted) continue;
      const location: SourceLocation = { file: cf.file, line: ins.loc.line, col: ins.loc.col };
      const via: Via = ins.kind;
      for (const word of ins.sources) {
        if (isHeredocWord(word, ins)) continue; // inline text written in the Containerfile
        const value = scope.expand(word, ins.loc);
        if (ins.kind === 'ADD' && (URL_RE.test(value) || GIT_SSH_RE.test(value))) {
          push(`url:${value}`, { kind: 'url', url: value, location });
          continue;
        }
        for (const rel of context.resolveWord(value, location)) {
          for (const item of context.itemsAt(rel)) {
            if (item.kind === 'file') {
              push(`file:${item.rel}`, { kind: 'context-file', rel: item.rel, display: joinDisplay(pkg.dir, item.rel), treePath: `packages/${pkg.stage}/${pkg.name}/${item.rel}`, via, location });
            } else if (item.kind === 'source') {
              push(`source:${item.source.id}`, { kind: 'source', source: item.source, via, location });
            } else {
              push('seed', { kind: 'seed', packageId: pkg.id, via, location });
            }
          }
        }
      }
    }
    finalEnv.push(new Map(scope.envEntries()));
  }
  return { name: image.name, packageId: pkg.id, inputs: out };
}

function joinDisplay(dir: string, rel: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${rel}` : `${dir}${sep}${rel}`;
}
