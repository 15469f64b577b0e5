import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, symlinkSync, writeFileSync, chmodSync, chownSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { readUpper } from './upper.js';
import { makeNode, makeWhiteout, markOpaque, setXattr } from './native.js';
import { tempDir, cleanupTempDirs } from './test-fixtures.js';

after(cleanupTempDirs);

test('entries are sorted by whole path as UTF-8 bytes, with modes, owners, sizes and mtimes', () => {
  const dir = tempDir('strata-upper-');
  mkdirSync(path.join(dir, 'a'));
  writeFileSync(path.join(dir, 'a', 'b'), 'bbb');
  writeFileSync(path.join(dir, 'a-b'), '');
  writeFileSync(path.join(dir, 'é'), 'e');
  writeFileSync(path.join(dir, 'z'), 'z');
  writeFileSync(path.join(dir, 'Z'), 'Z');
  chownSync(path.join(dir, 'z'), 1234, 5678);
  chmodSync(path.join(dir, 'z'), 0o4755);
  utimesSync(path.join(dir, 'z'), 1000, 1_700_000_000.9);
  symlinkSync('../target', path.join(dir, 'link'));
  makeNode(path.join(dir, 'pipe'), 'fifo', 0o600);
  const entries = readUpper(dir);
  assert.deepEqual(
    entries.map((e) => e.path),
    ['Z', 'a', 'a-b', 'a/b', 'link', 'pipe', 'z', 'é'],
  );
  const z = entries.find((e) => e.path === 'z')!;
  assert.equal(z.kind, 'file');
  assert.equal(z.mode, 0o4755);
  assert.equal(z.uid, 1234);
  assert.equal(z.gid, 5678);
  assert.equal(z.mtime, 1_700_000_000);
  assert.equal(z.size, 1);
  assert.equal(entries.find((e) => e.path === 'a/b')!.size, 3);
  assert.equal(entries.find((e) => e.path === 'a')!.size, 0);
  assert.equal(entries.find((e) => e.path === 'link')!.linkTarget, '../target');
  assert.equal(entries.find((e) => e.path === 'pipe')!.kind, 'fifo');
});

test('whiteouts, opaque dirs and xattr-whiteouts become .wh. entries; overlay attributes never pass', () => {
  const dir = tempDir('strata-upper-');
  mkdirSync(path.join(dir, 'gone-parent'));
  makeWhiteout(path.join(dir, 'gone-parent', 'gone'));
  makeWhiteout(path.join(dir, 'top'));
  mkdirSync(path.join(dir, 'opq'));
  markOpaque(path.join(dir, 'opq'));
  writeFileSync(path.join(dir, 'opq', 'new'), 'n');
  mkdirSync(path.join(dir, 'xw'));
  setXattr(path.join(dir, 'xw'), 'trusted.overlay.opaque', Buffer.from('x'));
  writeFileSync(path.join(dir, 'xw', 'deleted'), '');
  setXattr(path.join(dir, 'xw', 'deleted'), 'trusted.overlay.whiteout', Buffer.from(''));
  writeFileSync(path.join(dir, 'xw', 'kept'), 'k');
  setXattr(path.join(dir, 'xw', 'kept'), 'trusted.overlay.origin', Buffer.from([0, 1, 2]));
  setXattr(path.join(dir, 'xw', 'kept'), 'user.note', Buffer.from('hello'));
  setXattr(path.join(dir, 'xw', 'kept'), 'trusted.other', Buffer.from('dropped'));
  const entries = readUpper(dir);
  assert.deepEqual(
    entries.map((e) => `${e.path} ${e.kind}`),
    [
      '.wh.top whiteout',
      'gone-parent dir',
      'gone-parent/.wh.gone whiteout',
      'opq dir',
      'opq/.wh..wh..opq opaque',
      'opq/new file',
      'xw dir',
      'xw/.wh.deleted whiteout',
      'xw/kept file',
    ],
  );
  for (const e of entries) {
    for (const [k] of e.xattrs ?? []) assert.ok(!k.startsWith('trusted.'), `${e.path} kept ${k}`);
  }
  assert.deepEqual(
    entries.find((e) => e.path === 'xw/kept')!.xattrs!.map(([k, v]) => [k, v.toString()]),
    [['user.note', 'hello']],
  );
});

test('hardlinks point at the first path in sorted order and share a group', () => {
  const dir = tempDir('strata-upper-');
  writeFileSync(path.join(dir, 'm'), 'data');
  linkSync(path.join(dir, 'm'), path.join(dir, 'b'));
  linkSync(path.join(dir, 'm'), path.join(dir, 'z'));
  writeFileSync(path.join(dir, 'single'), 's');
  const entries = readUpper(dir);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  assert.equal(byPath.get('b')!.kind, 'file');
  assert.equal(byPath.get('b')!.size, 4);
  assert.equal(byPath.get('m')!.kind, 'hardlink');
  assert.equal(byPath.get('m')!.linkTarget, 'b');
  assert.equal(byPath.get('z')!.linkTarget, 'b');
  assert.equal(byPath.get('m')!.hardlinkGroup, byPath.get('b')!.hardlinkGroup);
  assert.equal(byPath.get('single')!.hardlinkGroup, undefined);
});

test('redirect and metacopy attributes are errors', () => {
  const dir = tempDir('strata-upper-');
  mkdirSync(path.join(dir, 'moved'));
  setXattr(path.join(dir, 'moved'), 'trusted.overlay.redirect', Buffer.from('/orig'));
  assert.throws(() => readUpper(dir), { code: 'sandbox/overlay-redirect' });
  const dir2 = tempDir('strata-upper-');
  writeFileSync(path.join(dir2, 'meta'), '');
  setXattr(path.join(dir2, 'meta'), 'trusted.overlay.metacopy', Buffer.from(''));
  assert.throws(() => readUpper(dir2), { code: 'sandbox/overlay-metacopy' });
});

test('devices are errors unless allowed; reserved .wh. names and non-UTF-8 names are errors', () => {
  const dir = tempDir('strata-upper-');
  makeNode(path.join(dir, 'null'), 'char', 0o666, 1, 3);
  assert.throws(() => readUpper(dir), { code: 'sandbox/device-in-layer' });
  const dev = readUpper(dir, { allowDevices: true })[0]!;
  assert.deepEqual([dev.kind, dev.devMajor, dev.devMinor, dev.mode], ['char', 1, 3, 0o666]);

  const dir2 = tempDir('strata-upper-');
  writeFileSync(path.join(dir2, '.wh.sneaky'), '');
  assert.throws(() => readUpper(dir2), { code: 'sandbox/reserved-name' });

  const dir3 = tempDir('strata-upper-');
  writeFileSync(Buffer.from(`${dir3}/bad\xff`, 'latin1'), '');
  assert.throws(() => readUpper(dir3), { code: 'sandbox/non-utf8-name' });
});
