import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareEntries, entryChanges } from './compare-entries.js';
import { diffJson } from './json-diff.js';
import { normalizeEntryPath } from './layer-index.js';
import { editScript, looksLikeText, unifiedDiff } from './text-diff.js';
import type { EntrySummary, LayerIndex } from './types.js';
import { cpuList, variationPlan, type HostFacts } from './variation.js';

test('unifiedDiff: one changed line with context and a correct hunk header', () => {
  const a = 'a\nb\nc\nd\ne\nf\ng\n';
  const b = 'a\nb\nc\nD\ne\nf\ng\n';
  assert.deepEqual(unifiedDiff(a, b).lines, ['@@ -1,7 +1,7 @@', ' a', ' b', ' c', '-d', '+D', ' e', ' f', ' g']);
  assert.deepEqual(unifiedDiff(a, a).lines, []);
});

test('unifiedDiff: far-apart changes make two hunks; near ones one', () => {
  const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
  const b = [...lines];
  b[1] = 'X';
  b[18] = 'Y';
  const d = unifiedDiff(`${lines.join('\n')}\n`, `${b.join('\n')}\n`);
  assert.deepEqual(d.lines.filter((l) => l.startsWith('@@')), ['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
  const c = [...lines];
  c[5] = 'X';
  c[10] = 'Y';
  const near = unifiedDiff(`${lines.join('\n')}\n`, `${c.join('\n')}\n`);
  assert.deepEqual(near.lines.filter((l) => l.startsWith('@@')), ['@@ -3,12 +3,12 @@']);
});

test('unifiedDiff: insertion into an empty file, a missing final newline, the line cap', () => {
  assert.deepEqual(unifiedDiff('', 'x\n').lines, ['@@ -0,0 +1,1 @@', '+x']);
  assert.deepEqual(unifiedDiff('x\n', 'x').lines, ['@@ -1,1 +1,1 @@', '-x', '+x', '\\ No newline at end of file']);
  const big = unifiedDiff(Array.from({ length: 100 }, (_, i) => `a${i}`).join('\n'), Array.from({ length: 100 }, (_, i) => `b${i}`).join('\n'), 10);
  assert.equal(big.lines.length, 10);
  assert.equal(big.truncated, true);
});

test('editScript: applying the script to a gives b (property)', () => {
  const line = fc.constantFrom('a', 'b', 'c', 'd');
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
      const ops = editScript(a, b)!;
      assert.deepEqual(ops.filter((o) => o.op !== '+').map((o) => o.line), a);
      assert.deepEqual(ops.filter((o) => o.op !== '-').map((o) => o.line), b);
    }),
    { numRuns: 300 },
  );
});

test('looksLikeText: UTF-8 without NUL, at most 64 KiB', () => {
  assert.equal(looksLikeText(new TextEncoder().encode('héllo\n')), true);
  assert.equal(looksLikeText(new Uint8Array([0x68, 0, 0x69])), false);
  assert.equal(looksLikeText(new Uint8Array([0xff, 0xfe])), false);
  assert.equal(looksLikeText(new Uint8Array(64 * 1024 + 1).fill(0x61)), false);
});

test('diffJson: names the exact field; one-sided members; arrays by position', () => {
  const a = { architecture: 'amd64', config: { Env: ['A=1', 'B=2'], Labels: { x: '1' } }, history: [{ created_by: 'RUN a' }] };
  const b = { architecture: 'amd64', config: { Env: ['A=1', 'B=3', 'C=4'], User: '1000' }, history: [{ created_by: 'RUN b' }] };
  assert.deepEqual(diffJson(a, b), [
    { path: 'config.Env[1]', a: '"B=2"', b: '"B=3"' },
    { path: 'config.Env[2]', b: '"C=4"' },
    { path: 'config.Labels', a: '{"x":"1"}' },
    { path: 'config.User', b: '"1000"' },
    { path: 'history[0].created_by', a: '"RUN a"', b: '"RUN b"' },
  ]);
  assert.deepEqual(diffJson({ 'os.version': '1' }, { 'os.version': '2' }), [{ path: '["os.version"]', a: '"1"', b: '"2"' }]);
  assert.deepEqual(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), []);
});

const entry = (path: string, extra: Partial<EntrySummary> = {}): EntrySummary => ({
  path, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size: 1, mtime: 1, linkname: '', devmajor: 0, devminor: 0, xattrs: {}, pax: {}, sha256: 'aa', text: true, ...extra,
});
const layer = (...entries: EntrySummary[]): LayerIndex => ({ entries, duplicates: [] });

test('entryChanges: devices, PAX extras (atime), owner names', () => {
  assert.deepEqual(entryChanges(entry('d', { type: 'char', devmajor: 1, devminor: 3 }), entry('d', { type: 'char', devmajor: 1, devminor: 5 })), [
    { field: 'device', a: '1,3', b: '1,5' },
  ]);
  assert.deepEqual(entryChanges(entry('f'), entry('f', { pax: { atime: '1700000000' } })), [{ field: 'pax', a: '(none)', b: 'atime=1700000000' }]);
  assert.deepEqual(entryChanges(entry('f', { uname: 'root' }), entry('f', { uname: 'builder', gname: 'staff' })).map((c) => c.field), ['uname', 'gname']);
});

test('compareEntries: sorted by path, capped, with the first order difference', () => {
  const a = layer(entry('b'), entry('a'), entry('c'));
  const b = layer(entry('a'), entry('b'), entry('d'));
  const c = compareEntries(a, b);
  assert.deepEqual(c.paths.map((p) => [p.path, p.status]), [['c', 'only-a'], ['d', 'only-b']]);
  assert.deepEqual(c.order, { position: 0, a: 'b', b: 'a' });
  const many = layer(...Array.from({ length: 10 }, (_, i) => entry(`f${i}`)));
  const capped = compareEntries(many, layer(), 4);
  assert.equal(capped.paths.length, 4);
  assert.equal(capped.omittedPaths, 6);
});

test('normalizeEntryPath: ./, leading and trailing slashes, root', () => {
  assert.equal(normalizeEntryPath('./usr/bin/'), 'usr/bin');
  assert.equal(normalizeEntryPath('/etc/x'), 'etc/x');
  assert.equal(normalizeEntryPath('./'), '.');
});

const host: HostFacts = {
  treeDir: '/t', rebuildTreeDir: '/tmp/x/longer/tree', env: { LANG: 'C.UTF-8' }, umask: 0o022, cpus: [0, 1, 2, 3], jobs: 2, faketime: true, taskset: true, readdirHook: false, copyListing: 'creation',
};

test('variationPlan --vary: every variation changes, the setup carries it', () => {
  const p = variationPlan(host, true);
  for (const v of p.variations) {
    assert.equal(v.applied, true, v.name);
    assert.notEqual(v.rebuild, v.reference, v.name);
  }
  assert.equal(p.setup.umask, 0o077);
  assert.equal(p.setup.jobs, 1);
  assert.equal(p.setup.env['TZ'], 'Pacific/Chatham');
  assert.notEqual(p.setup.env['LANG'], 'C.UTF-8');
  assert.deepEqual(p.setup.argvPrefix, ['taskset', '-c', '3', 'faketime', '-f', '+400d']);
  assert.equal(p.setup.reverseCopyOrder, true);
});

test('variationPlan: what the host cannot vary is said, not faked; no --vary changes nothing but the directory', () => {
  const p = variationPlan({ ...host, cpus: [0], faketime: false, taskset: true, env: { TZ: 'Pacific/Chatham' } }, true);
  const byName = new Map(p.variations.map((v) => [v.name, v]));
  assert.equal(byName.get('cpu-affinity')!.applied, false);
  assert.match(byName.get('cpu-affinity')!.rebuild, /only one CPU/);
  assert.equal(byName.get('clock')!.applied, false);
  assert.match(byName.get('clock')!.rebuild, /install Debian's faketime/);
  assert.equal(byName.get('TZ')!.rebuild, 'America/St_Johns');
  assert.deepEqual(p.setup.argvPrefix, []);
  const plain = variationPlan(host, false);
  assert.deepEqual(plain.setup, { env: {}, umask: 0o022, jobs: 2, argvPrefix: [], reverseCopyOrder: false, readdirReverse: false });
  assert.deepEqual(plain.variations.filter((v) => v.applied).map((v) => v.name), ['build-dir']);
});

test('variationPlan: the context order is reversed through the copy only where the file system allows it', () => {
  const order = (copyListing: HostFacts['copyListing'], readdirHook = false) => {
    const p = variationPlan({ ...host, copyListing, readdirHook }, true);
    return { v: p.variations.find((x) => x.name === 'context-order')!, setup: p.setup };
  };
  assert.equal(order('creation').setup.reverseCopyOrder, true);
  assert.equal(order('reverse-creation').setup.reverseCopyOrder, false);
  assert.match(order('reverse-creation').v.rebuild, /tmpfs/);
  const hashed = order('hashed');
  assert.equal(hashed.v.applied, false);
  assert.match(hashed.v.rebuild, /not varied: .* by hash/);
  const hooked = order('hashed', true);
  assert.equal(hooked.v.applied, true);
  assert.equal(hooked.setup.readdirReverse, true);
});

test('cpuList: ranges', () => {
  assert.equal(cpuList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.equal(cpuList([3]), '3');
});

test('the pure core of src/verify imports no fs, child_process or network module', async () => {
  const { readFileSync } = await import('node:fs');
  const { repoRoot } = await import('../testutil/paths.js');
  const pure = ['types', 'json-diff', 'compare-images', 'compare-entries', 'compression', 'text-diff', 'render', 'variation'];
  const banned = /from\s+['"](node:)?(fs|fs\/promises|child_process|worker_threads|net|http|https|dgram|tls|dns)['"]|import\(\s*['"](node:)?(fs|child_process|net|http|https)/;
  for (const name of pure) {
    const text = readFileSync(`${repoRoot}/src/verify/${name}.ts`, 'utf8');
    assert.doesNotMatch(text, banned, `${name}.ts`);
    for (const m of text.matchAll(/from\s+'\.\/([a-z-]+)\.js'/g)) assert.ok(pure.includes(m[1]!), `${name}.ts imports ./${m[1]}.js, which is not pure`);
  }
});
