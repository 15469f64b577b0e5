/**
 * The image DAG: dependency checks, cycle detection, levels, reverse deps, a stable
 * topological order, and the closure of requested images. Pure: no I/O.
 */
import { StrataError } from '../errors.js';
import { closeMatches } from '../tree/close-matches.js';
import type { ImageReference, Plan, PlannedImage } from './types.js';

/** An image before graph analysis: its references are not yet checked. */
export type ImageNode = Omit<PlannedImage, 'deps' | 'level' | 'rdeps'>;

export interface GraphResult {
  readonly plan: Plan;
  /** Empty unless keepGoing (without it the first error is thrown). */
  readonly errors: readonly StrataError[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function refMessage(ref: ImageReference): string {
  return ref.via === 'from' ? 'FROM' : 'COPY --from';
}

/**
 * Build the DAG from image nodes. Missing dependencies and cycles are errors; with
 * keepGoing, the failing images and everything depending on them are left out.
 */
export function buildGraph(namespace: string, nodes: readonly ImageNode[], keepGoing = false): GraphResult {
  const errors: StrataError[] = [];
  const fail = (e: StrataError): void => {
    if (!keepGoing) throw e;
    errors.push(e);
  };
  const nodeByName = new Map<string, ImageNode>();
  for (const n of nodes) nodeByName.set(n.name, n);

  // 1. every reference must name an image of the tree
  const bad = new Set<string>();
  for (const n of nodes) {
    for (const ref of n.references) {
      if (!nodeByName.has(ref.image)) {
        const near = closeMatches(ref.image, nodeByName.keys());
        fail(
          new StrataError('plan/missing-dependency', `${refMessage(ref)} ${namespace}/${ref.image}: no such image in this tree (needed by ${n.name})`, {
            location: ref.location,
            hint: near.length
              ? `did you mean ${near.map((x) => `${namespace}/${x}`).join(', ')}?`
              : `add packages/<stage>/<name>/ producing ${ref.image}, or fix the reference`,
          }),
        );
        bad.add(n.name);
        break;
      }
    }
  }

  const depsOf = new Map<string, string[]>();
  for (const n of nodes) {
    depsOf.set(n.name, [...new Set(n.references.map((r) => r.image))].sort(byName));
  }

  // 2. Kahn's algorithm over the good nodes; ties broken by name (sorted ready set)
  const alive = nodes.filter((n) => !bad.has(n.name)).map((n) => n.name);
  propagateBad(alive, depsOf, bad, nodeByName, namespace, fail);
  let remaining = alive.filter((n) => !bad.has(n));
  const { order, leftover } = topoSort(remaining, depsOf);
  if (leftover.length > 0) {
    const cycle = findCycle(leftover, depsOf);
    const first = nodeByName.get(cycle[0]!)!;
    const edge = first.references.find((r) => r.image === cycle[1]);
    fail(
      new StrataError('plan/cycle', `dependency cycle: ${cycle.join(' → ')}`, {
        ...(edge ? { location: edge.location } : {}),
        hint: 'an image cannot depend on itself, directly or through others: remove one of these FROM/COPY --from references',
        detail: { cycle },
      }),
    );
    for (const n of leftover) bad.add(n);
    propagateBad(remaining, depsOf, bad, nodeByName, namespace, fail);
    remaining = remaining.filter((n) => !bad.has(n));
  }
  const finalOrder = order.filter((n) => !bad.has(n));
  return { plan: assemble(namespace, finalOrder, nodeByName, depsOf), errors };
}

/** Mark (and report) every image that depends, directly or not, on a bad one. */
function propagateBad(
  names: readonly string[],
  depsOf: ReadonlyMap<string, string[]>,
  bad: Set<string>,
  nodeByName: ReadonlyMap<string, ImageNode>,
  namespace: string,
  fail: (e: StrataError) => void,
): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of names) {
      if (bad.has(n)) continue;
      const badDep = depsOf.get(n)!.find((d) => bad.has(d));
      if (badDep === undefined) continue;
      bad.add(n);
      changed = true;
      const ref = nodeByName.get(n)!.references.find((r) => r.image === badDep)!;
      fail(
        new StrataError('plan/dependency-failed', `${n} is not planned: its dependency ${namespace}/${badDep} failed`, {
          location: ref.location,
          hint: `fix ${badDep} first`,
        }),
      );
    }
  }
}

/** Kahn's algorithm; among ready images the smallest name goes first. */
function topoSort(names: readonly string[], depsOf: ReadonlyMap<string, string[]>): { order: string[]; leftover: string[] } {
  const set = new Set(names);
  const pending = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const n of names) {
    const ds = depsOf.get(n)!.filter((d) => set.has(d));
    pending.set(n, ds.length);
    for (const d of ds) {
      let u = users.get(d);
      if (!u) users.set(d, (u = []));
      u.push(n);
    }
  }
  const ready = new MinHeap();
  for (const n of names) if (pending.get(n) === 0) ready.push(n);
  const order: string[] = [];
  while (ready.size > 0) {
    const n = ready.pop()!;
    order.push(n);
    for (const u of users.get(n) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) ready.push(u);
    }
  }
  const done = new Set(order);
  return { order, leftover: names.filter((n) => !done.has(n)).sort(byName) };
}

/** One cycle among nodes that could not be ordered: [a, b, c, a], starting at its smallest name. */
export function findCycle(leftover: readonly string[], depsOf: ReadonlyMap<string, string[]>): string[] {
  const set = new Set(leftover);
  // Follow deps that stay inside the leftover set until a node repeats; every leftover
  // node has at least one such dep (else it would have been ordered).
  let cur = leftover[0]!;
  const seenAt = new Map<string, number>();
  const path: string[] = [];
  while (!seenAt.has(cur)) {
    seenAt.set(cur, path.length);
    path.push(cur);
    cur = depsOf.get(cur)!.find((d) => set.has(d))!;
  }
  const cycle = path.slice(seenAt.get(cur)!);
  // rotate so the smallest name leads (stable messages)
  let min = 0;
  cycle.forEach((n, i) => {
    if (n < cycle[min]!) min = i;
  });
  const rotated = [...cycle.slice(min), ...cycle.slice(0, min)];
  return [...rotated, rotated[0]!];
}

function assemble(
  namespace: string,
  order: readonly string[],
  nodeByName: ReadonlyMap<string, ImageNode>,
  depsOf: ReadonlyMap<string, string[]>,
): Plan {
  const level = new Map<string, number>();
  const rdeps = new Map<string, string[]>();
  for (const n of order) {
    let l = 0;
    for (const d of depsOf.get(n)!) {
      l = Math.max(l, level.get(d)! + 1);
      let r = rdeps.get(d);
      if (!r) rdeps.set(d, (r = []));
      r.push(n);
    }
    level.set(n, l);
  }
  const images: PlannedImage[] = [...order].sort(byName).map((name) => ({
    ...nodeByName.get(name)!,
    deps: depsOf.get(name)!,
    level: level.get(name)!,
    rdeps: (rdeps.get(name) ?? []).sort(byName),
  }));
  const levels: string[][] = [];
  for (const img of images) (levels[img.level] ??= []).push(img.name);
  return { namespace, images, order: [...order], levels };
}

/**
 * The sub-plan of the requested images and everything they need (`<ns>/` prefix allowed). Unknown names are an
 * input error naming close matches.
 */
export function selectClosure(plan: Plan, requested: readonly string[]): Plan {
  if (requested.length === 0) return plan;
  const byNameMap = new Map(plan.images.map((i) => [i.name, i]));
  const want = new Set<string>();
  const stack: string[] = [];
  for (const r of requested) {
    const name = r.startsWith(`${plan.namespace}/`) ? r.slice(plan.namespace.length + 1) : r;
    if (!byNameMap.has(name)) {
      const near = closeMatches(name, byNameMap.keys());
      throw new StrataError('plan/unknown-image', `no image '${r}' in this tree`, {
        hint: near.length ? `did you mean ${near.join(', ')}?` : "run 'strata plan' to list the images",
      });
    }
    stack.push(name);
  }
  while (stack.length) {
    const n = stack.pop()!;
    if (want.has(n)) continue;
    want.add(n);
    stack.push(...byNameMap.get(n)!.deps);
  }
  // rdeps stay those of the whole tree: "who else needs this image" is the useful answer
  const images = plan.images.filter((i) => want.has(i.name));
  const levels: string[][] = [];
  for (const img of images) (levels[img.level] ??= []).push(img.name);
  return {
    namespace: plan.namespace,
    images,
    order: plan.order.filter((n) => want.has(n)),
    levels: levels.filter((l) => l !== undefined),
  };
}

/** A binary min-heap of strings (the ready set of the topological sort). */
class MinHeap {
  private readonly a: string[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: string): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): string | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
