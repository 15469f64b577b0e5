/**
 * The realistic corpus (testdata/trees/stagex-shaped, several hundred StageX-shaped
 * packages written by the synthetic-tree generator): it plans without errors, and the
 * images and edges equal (1) what the generator says it wrote and (2) what an independent
 * line-based reading of the package.toml subpackages and FROM / COPY --from lines implies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { testdata } from '../testutil/paths.js';
import { loadPlan as computePlan } from '../tree/load-plan.js';
import { generateSyntheticTree, type SyntheticTreeOptions } from './testsupport/synthetic-tree.js';

const root = testdata('trees', 'stagex-shaped');
const { plan, errors } = computePlan({ tree: root });
const planned = Object.fromEntries(plan.images.map((i) => [i.name, [...i.deps]]));

test('the corpus has several hundred packages and plans without errors', () => {
  assert.deepEqual(errors, []);
  let packages = 0;
  for (const stage of readdirSync(path.join(root, 'packages'))) packages += readdirSync(path.join(root, 'packages', stage)).length;
  assert.ok(packages >= 300, `${packages} packages`);
  assert.equal(plan.order.length, plan.images.length);
});

test('the committed corpus is exactly what the generator writes, and the plan matches its metadata', () => {
  const opts = JSON.parse(readFileSync(path.join(root, 'GENERATED.json'), 'utf8')) as SyntheticTreeOptions;
  const gen = generateSyntheticTree(opts);
  for (const [rel, text] of Object.entries(gen.files)) {
    assert.equal(readFileSync(path.join(root, rel), 'utf8'), text, `${rel} differs from the generator's output: regenerate the corpus`);
  }
  assert.deepEqual(planned, gen.images);
});

/** An independent reading: stages split at FROM lines, refs by regex, walk from the target. */
function expectedFromText(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const stage of readdirSync(path.join(root, 'packages')).sort()) {
    for (const name of readdirSync(path.join(root, 'packages', stage)).sort()) {
      const dir = path.join(root, 'packages', stage, name);
      const toml = readFileSync(path.join(dir, 'package.toml'), 'utf8');
      const subs = /^subpackages = \[(.*)\]$/m.exec(toml)?.[1]?.match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1)) ?? [];
      const stages: { alias: string | undefined; image: string; copies: string[] }[] = [];
      let inHeredoc: string | undefined;
      for (const line of readFileSync(path.join(dir, 'Containerfile'), 'utf8').split('\n')) {
        if (inHeredoc !== undefined) {
          if (line.trim() === inHeredoc) inHeredoc = undefined;
          continue;
        }
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (from) stages.push({ image: from[1]!, alias: from[2]?.toLowerCase(), copies: [] });
        const copy = /^COPY\s+.*--from=(\S+)/.exec(line);
        if (copy) stages[stages.length - 1]!.copies.push(copy[1]!);
        const hd = /<<-?(\w+)\s*$/.exec(line);
        if (hd && !line.startsWith('COPY <<EOF1')) inHeredoc = hd[1];
        if (line.startsWith('COPY <<EOF1')) inHeredoc = 'EOF2';
      }
      const byAlias = new Map(stages.map((s, i) => [s.alias, i]));
      const depsOf = (target: number): string[] => {
        const need = new Set<number>();
        const walk = (i: number): void => {
          if (need.has(i)) return;
          need.add(i);
          const s = stages[i]!;
          for (const ref of [s.image, ...s.copies]) if (byAlias.has(ref)) walk(byAlias.get(ref)!);
        };
        walk(target);
        const deps = new Set<string>();
        for (const i of need) {
          for (const ref of [stages[i]!.image, ...stages[i]!.copies]) {
            if (ref.startsWith('stagex/')) deps.add(ref.slice('stagex/'.length));
          }
        }
        return [...deps].sort();
      };
      if (subs.length) for (const s of subs) out[`${stage}-${s}`] = depsOf(byAlias.get(`package-${s}`)!);
      else out[`${stage}-${name}`] = depsOf(stages.length - 1);
    }
  }
  return out;
}

test('the plan equals what the subpackages and FROM / COPY --from lines imply', () => {
  const expected = expectedFromText();
  assert.ok(Object.keys(expected).length > 300);
  assert.deepEqual(planned, expected);
});

test('the corpus exercises what StageX trees use', () => {
  const all = plan.images;
  assert.ok(all.some((i) => i.target?.startsWith('package-')), 'subpackages');
  assert.ok(all.some((i) => i.stage === 'pallet'), 'pallets');
  assert.ok(plan.levels.length >= 15, `${plan.levels.length} levels`);
  const busyboxUsers = all.filter((i) => i.deps.includes('core-busybox')).length;
  assert.ok(busyboxUsers > 250, `${busyboxUsers} users of the shared base`);
});
