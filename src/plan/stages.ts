/**
 * Which images a Containerfile target needs. The Containerfile front end resolves every
 * stage's FROM and COPY --from (expansion with BuildKit's ARG scoping, stage alias/index vs
 * image); here we turn that into links and walk the stage graph back from the target.
 * Pure: no I/O.
 */
import type { SourceLocation } from '../errors.js';
import type { Containerfile } from '../containerfile/types.js';
import { resolveStages, stagesNeeded } from '../containerfile/scope.js';

export type StageLink =
  | { readonly kind: 'stage'; readonly index: number }
  | { readonly kind: 'image'; readonly ref: string; readonly location: SourceLocation; readonly via: 'from' | 'copy' };

export interface StageInfo {
  readonly index: number;
  readonly name: string | undefined;
  /** What FROM and each COPY --from point at, in file order (FROM first). */
  readonly links: readonly StageLink[];
}

/** Every stage of the Containerfile with its links, for the given build args and platform. */
export function analyzeStages(cf: Containerfile, buildArgs: Readonly<Record<string, string>>, platform: string): StageInfo[] {
  return resolveStages(cf, { buildArgs, platform }).map((s): StageInfo => {
    const links: StageLink[] = [
      s.baseStage !== undefined
        ? { kind: 'stage', index: s.baseStage }
        : { kind: 'image', ref: s.image, location: s.imageLocation, via: 'from' },
    ];
    for (const c of s.copyFrom) {
      links.push(
        c.stage !== undefined
          ? { kind: 'stage', index: c.stage }
          : { kind: 'image', ref: c.value, location: c.location, via: 'copy' },
      );
    }
    return { index: s.index, name: s.name, links };
  });
}

/** Index of the stage named `target` (case-insensitive), or undefined. */
export function stageIndex(cf: Containerfile, target: string): number | undefined {
  const t = target.toLowerCase();
  return cf.stages.find((s) => s.name === t)?.index;
}

/**
 * The image links of every stage the target needs (walking FROM-stage and COPY --from
 * stage links back from it), in file order.
 */
export function imageLinksFor(stages: readonly StageInfo[], target: number): Extract<StageLink, { kind: 'image' }>[] {
  const need = stagesNeeded(target, (i) => stages[i]!.links.flatMap((l) => (l.kind === 'stage' ? [l.index] : [])));
  const out: Extract<StageLink, { kind: 'image' }>[] = [];
  for (const s of stages) {
    if (!need.has(s.index)) continue;
    for (const l of s.links) if (l.kind === 'image') out.push(l);
  }
  return out;
}
