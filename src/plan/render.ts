/** The two renderings of a plan: `--json` and the table by level. Pure. */
import type { Plan } from './types.js';

export interface RenderOptions {
  readonly rdeps: boolean;
}

export interface PlanJson {
  readonly packages: readonly Record<string, unknown>[];
  readonly order: readonly string[];
}

/** `{packages:[{name,stage,version,deps,sources:[{id,file,hash}]}],order:[…]}` as a value. */
export function planJson(plan: Plan, opts: RenderOptions): PlanJson {
  const packages = plan.images.map((i) => ({
    name: i.name,
    stage: i.stage,
    version: i.version,
    deps: i.deps,
    ...(opts.rdeps ? { rdeps: i.rdeps } : {}),
    sources: i.sources.map((s) => ({ id: s.id, file: s.file, hash: s.hash })),
  }));
  return { packages, order: plan.order };
}


/** A readable table: one block per level, images sorted by name. */
export function planToTable(plan: Plan, opts: RenderOptions): string {
  const rows: string[][] = [['LEVEL', 'IMAGE', 'VERSION', 'DEPS', ...(opts.rdeps ? ['RDEPS'] : [])]];
  const byName = new Map(plan.images.map((i) => [i.name, i]));
  plan.levels.forEach((names, level) => {
    for (const n of names) {
      const i = byName.get(n)!;
      rows.push([
        String(level),
        i.name,
        i.version,
        String(i.deps.length),
        ...(opts.rdeps ? [i.rdeps.length ? i.rdeps.join(',') : '-'] : []),
      ]);
    }
  });
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
  const n = plan.images.length;
  lines.push('', `${n} image${n === 1 ? '' : 's'} in ${plan.levels.length} level${plan.levels.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
