import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, selectClosure, findCycle, type ImageNode } from './graph.js';
import { classifyImageRef } from './image-ref.js';
import { StrataError } from '../errors.js';

/** A node whose references are `deps` (FROM lines 1, 2, … of its Containerfile). */
function node(name: string, deps: string[] = []): ImageNode {
  return {
    name,
    stage: name.split('-')[0]!,
    packageId: name,
    version: '1',
    target: undefined,
    targetIndex: 0,
    references: deps.map((d, i) => ({ image: d, via: 'from' as const, location: { file: `${name}/Containerfile`, line: i + 1, col: 1 } })),
    external: [],
    sources: [],
  };
}

test('levels, rdeps and a topological order with ties broken by name', () => {
  const { plan, errors } = buildGraph('stagex', [
    node('core-z', ['core-a']),
    node('core-b', ['core-a']),
    node('core-a'),
    node('core-m'),
    node('user-app', ['core-z', 'core-b', 'core-b']),
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(plan.order, ['core-a', 'core-b', 'core-m', 'core-z', 'user-app']);
  assert.deepEqual(plan.levels, [['core-a', 'core-m'], ['core-b', 'core-z'], ['user-app']]);
  const byName = Object.fromEntries(plan.images.map((i) => [i.name, i]));
  assert.deepEqual(byName['user-app']!.deps, ['core-b', 'core-z']);
  assert.deepEqual(byName['core-a']!.rdeps, ['core-b', 'core-z']);
  assert.equal(byName['user-app']!.level, 2);
  assert.deepEqual(plan.images.map((i) => i.name), ['core-a', 'core-b', 'core-m', 'core-z', 'user-app']);
});

test('the order is a valid topological order whatever the input order', () => {
  const names = Array.from({ length: 40 }, (_, i) => `core-p${String(i).padStart(2, '0')}`);
  // each depends on the one 3 below and the one 7 below
  const nodes = names.map((n, i) => node(n, [names[i - 3], names[i - 7]].filter((x): x is string => x !== undefined)));
  const a = buildGraph('stagex', nodes).plan;
  const b = buildGraph('stagex', [...nodes].reverse()).plan;
  assert.deepEqual(a.order, b.order);
  const pos = new Map(a.order.map((n, i) => [n, i]));
  for (const img of a.images) for (const d of img.deps) assert.ok(pos.get(d)! < pos.get(img.name)!, `${d} before ${img.name}`);
});

test('a cycle is named whole, with the location of one of its edges', () => {
  assert.throws(
    () => buildGraph('stagex', [node('core-c', ['core-a']), node('core-a', ['core-b']), node('core-b', ['core-c']), node('core-d', ['core-a'])]),
    (e: unknown) => {
      assert.ok(e instanceof StrataError);
      assert.equal(e.code, 'plan/cycle');
      assert.match(e.message, /core-a → core-b → core-c → core-a/);
      assert.deepEqual(e.location, { file: 'core-a/Containerfile', line: 1, col: 1 });
      return true;
    },
  );
  assert.deepEqual(findCycle(['x'], new Map([['x', ['x']]])), ['x', 'x']);
});

test('a self-reference is a cycle', () => {
  assert.throws(() => buildGraph('stagex', [node('core-a', ['core-a'])]), (e: unknown) => e instanceof StrataError && e.code === 'plan/cycle' && /core-a → core-a/.test(e.message));
});

test('a missing dependency names the referring line and close matches', () => {
  assert.throws(
    () => buildGraph('stagex', [node('core-zlib'), node('core-app', ['core-busybox', 'core-zlb'])]),
    (e: unknown) => {
      assert.ok(e instanceof StrataError);
      assert.equal(e.code, 'plan/missing-dependency');
      assert.deepEqual(e.location, { file: 'core-app/Containerfile', line: 1, col: 1 });
      assert.match(e.message, /stagex\/core-busybox/);
      return true;
    },
  );
});

test('keepGoing drops failing images and their dependents, and reports each', () => {
  const { plan, errors } = buildGraph(
    'stagex',
    [node('core-a'), node('core-b', ['core-nope']), node('core-c', ['core-b']), node('core-d', ['core-c', 'core-a']), node('core-x', ['core-y']), node('core-y', ['core-x'])],
    true,
  );
  assert.deepEqual(plan.order, ['core-a']);
  assert.deepEqual(errors.map((e) => e.code).sort(), ['plan/cycle', 'plan/dependency-failed', 'plan/dependency-failed', 'plan/missing-dependency']);
});

test('selectClosure keeps the requested images and everything they need', () => {
  const { plan } = buildGraph('stagex', [node('core-a'), node('core-b', ['core-a']), node('core-c', ['core-b']), node('core-d')]);
  const sub = selectClosure(plan, ['stagex/core-c']);
  assert.deepEqual(sub.order, ['core-a', 'core-b', 'core-c']);
  assert.deepEqual(sub.levels, [['core-a'], ['core-b'], ['core-c']]);
  assert.equal(selectClosure(plan, []), plan);
  assert.throws(
    () => selectClosure(plan, ['core-cc']),
    (e: unknown) => e instanceof StrataError && e.code === 'plan/unknown-image' && e.exitCode === 2 && /core-c/.test(e.hint ?? ''),
  );
});

test('classifyImageRef: namespace, registry, tag and digest', () => {
  const ns = 'stagex';
  assert.deepEqual(classifyImageRef('scratch', ns), { kind: 'scratch' });
  assert.deepEqual(classifyImageRef('stagex/core-gcc', ns), { kind: 'tree', image: 'core-gcc', ref: 'stagex/core-gcc' });
  assert.equal(classifyImageRef('stagex/core-gcc:13', ns).kind, 'tree');
  assert.equal(classifyImageRef(`stagex/core-gcc@sha256:${'a'.repeat(64)}`, ns).kind, 'tree');
  assert.equal(classifyImageRef(`docker.io/stagex/core-gcc:1@sha256:${'a'.repeat(64)}`, ns).kind, 'tree');
  assert.equal(classifyImageRef('index.docker.io/stagex/core-gcc', ns).kind, 'tree');
  assert.deepEqual(classifyImageRef('quay.io/stagex/core-gcc', ns), { kind: 'external', ref: 'quay.io/stagex/core-gcc' });
  assert.equal(classifyImageRef('localhost:5000/stagex/core-gcc', ns).kind, 'external');
  assert.equal(classifyImageRef('alpine:3.19', ns).kind, 'external');
  assert.equal(classifyImageRef('stagex/sub/core-gcc', ns).kind, 'external');
  assert.equal(classifyImageRef('stagexx/core-gcc', ns).kind, 'external');
  assert.equal(classifyImageRef('acme/tools/core-gcc', 'acme/tools').kind, 'tree');
});
