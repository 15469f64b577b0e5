/**
 * Unit tests of the interop flattener and comparison (no buildah needed): OCI whiteout
 * rules, hardlink sets, buildah's known additions recognised only in their exact shape,
 * and config comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TarEntry } from '../../tar/entry.js';
import { bytesSource, writeTarEntries } from '../../tar/writer.js';
import { compareConfigs, compareFileSystems, isBuildahAddition, volumePaths } from './compare.js';
import { applyLayer, entryPath, type FlatEntry } from './flatten.js';
import { buildahFlags } from './corpus.js';

const dir = (path: string, mode = 0o755, uid = 0): TarEntry => ({ path, type: 'dir', mode, uid, gid: uid });
const file = (path: string, text: string, extra: Partial<TarEntry> = {}): TarEntry => ({ path, type: 'file', mode: 0o644, size: Buffer.byteLength(text), content: bytesSource(text), ...extra });

async function flatten(...layers: TarEntry[][]): Promise<Map<string, FlatEntry>> {
  const entries = new Map<string, FlatEntry>();
  let n = 0;
  for (const [i, l] of layers.entries()) {
    const stamped = l.map((e) => ({ mtime: 1, uid: 0, gid: 0, ...e }));
    await applyLayer(entries, writeTarEntries(stamped, { sourceDateEpoch: 1, parents: 'ignore' }), `layer ${i}`, () => ++n);
  }
  return entries;
}

test('entry paths are normalised and .. is refused', () => {
  assert.equal(entryPath('./a/b/'), 'a/b');
  assert.equal(entryPath('/etc/hosts'), 'etc/hosts');
  assert.equal(entryPath('./'), '');
  assert.throws(() => entryPath('a/../../b'), /unsafe/);
});

test('whiteouts remove lower paths and their subtrees; opaque directories hide lower children only', async () => {
  const fs = await flatten(
    [dir('a'), file('a/f', 'x'), dir('a/sub'), file('a/sub/g', 'y'), dir('d'), file('d/old', 'o'), file('top', 't')],
    [{ path: 'a/sub', type: 'whiteout' }, { path: 'top', type: 'whiteout' }, dir('d'), { path: 'd', type: 'opaque' }, file('d/new', 'n')],
  );
  assert.deepEqual([...fs.keys()].sort(), ['a', 'a/f', 'd', 'd/new']);
});

test('a file replacing a directory removes the subtree; a directory over a directory keeps children', async () => {
  const fs = await flatten([dir('p'), file('p/x', '1'), dir('q'), file('q/y', '2')], [file('p', 'now a file'), dir('q', 0o700, 5)]);
  assert.deepEqual([...fs.keys()].sort(), ['p', 'q', 'q/y']);
  assert.equal(fs.get('p')?.kind, 'file');
  assert.equal(fs.get('q')?.mode, 0o700);
  assert.equal(fs.get('q')?.uid, 5);
});

test('hardlinks share content and are compared as sets; a changed link is reported', async () => {
  const linked = await flatten([file('h1', 'same'), { path: 'h2', type: 'hardlink', linkname: 'h1' }]);
  const copies = await flatten([file('h1', 'same'), file('h2', 'same')]);
  assert.equal(linked.get('h2')?.sha256, linked.get('h1')?.sha256);
  assert.deepEqual(compareFileSystems(linked, linked), []);
  const d = compareFileSystems(linked, copies);
  assert.deepEqual(d.map((x) => x.path), ['h1', 'h2']);
  assert.match(d[0]!.what, /hardlinks \[h1,h2\] vs \[\]/);
});

test('every field difference is reported: kind, mode, owner, content, size, link target', async () => {
  const a = await flatten([file('f', 'abc'), file('g', 'abc'), file('m', 'x'), { path: 'l', type: 'symlink', linkname: '/a' }, file('k', 'k')]);
  const b = await flatten([file('f', 'abd'), file('g', 'abcd'), file('m', 'x', { mode: 0o4755, uid: 3, gid: 4 }), { path: 'l', type: 'symlink', linkname: '/b' }, dir('k')]);
  const d = Object.fromEntries(compareFileSystems(a, b).map((x) => [x.path, x.what]));
  assert.equal(d['f'], 'content');
  assert.equal(d['g'], 'size 3 vs 4');
  assert.equal(d['m'], 'mode 0644 vs 04755, owner 0:0 vs 3:4');
  assert.equal(d['l'], 'link target /a vs /b');
  assert.match(d['k']!, /^kind file vs dir/);
});

test("buildah's additions are ignored only in their exact shape and only on buildah's side", async () => {
  const base = [dir('etc'), file('etc/passwd', 'root')];
  const strata = await flatten(base);
  const buildah = await flatten([...base, file('etc/hosts', ''), file('etc/resolv.conf', '', { mode: 0o755 }), file('etc/hostname', ''), dir('run'), dir('proc'), dir('sys'), dir('dev'), dir('vol')]);
  assert.deepEqual(compareFileSystems(strata, buildah, ['vol']), []);
  assert.deepEqual(compareFileSystems(strata, buildah).map((x) => `${x.path}: ${x.what}`), ['vol: buildah-only']);
  // the same paths with content, other owners or children are real differences
  const odd = await flatten([...base, file('etc/hosts', '127.0.0.1 x'), dir('run', 0o755, 1000), dir('proc'), file('proc/x', ''), dir('dev', 0o700)]);
  assert.deepEqual(compareFileSystems(strata, odd).map((x) => x.path), ['dev', 'etc/hosts', 'proc', 'proc/x', 'run']);
  // strata-only additions are never ignored
  assert.deepEqual(compareFileSystems(buildah, strata).map((x) => x.what), Array(8).fill('strata-only'));
  assert.equal(isBuildahAddition('etc/shadow', buildah.get('etc/hosts')!, buildah), false);
});

test('config: absent, null and empty agree; io.buildah.version is ignored, other labels are not', () => {
  assert.deepEqual(compareConfigs({ Env: ['A=1'], Labels: { x: 'y' } }, { Env: ['A=1'], Cmd: null, Entrypoint: [], Labels: { x: 'y', 'io.buildah.version': '1.28.2' } }), []);
  const d = compareConfigs({ User: '1000', Labels: {} }, { User: '0', Labels: { 'io.buildah.version': '1', extra: 'z' } });
  assert.deepEqual(d.map((x) => x.path), ['config.User', 'config.Labels']);
  assert.deepEqual(volumePaths({ Volumes: { '/data': {}, '/a/b/': {} } }), ['data', 'a/b']);
});

test('buildah-flags directives: only layer-commit flags are allowed', () => {
  assert.deepEqual(buildahFlags('# buildah-flags: --layers\nFROM x\n'), ['--layers']);
  assert.deepEqual(buildahFlags('FROM x\n'), []);
  assert.throws(() => buildahFlags('# buildah-flags: --network host\n'), /not allowed/);
});
