/**
 * Integration: extended attributes of ADDed archives reach the layer (ADR 0172). Archives
 * are made at test time: one by strata's own tar writer (PAX SCHILY.xattr.*: a file
 * capability, user.* attributes, and trusted.* and security.selinux ones that must be dropped), one
 * by GNU tar with a bsdtar-style LIBARCHIVE.xattr.* record. Both ADD paths are covered:
 * into a new directory (extracted straight into the upper dir) and with --chown (unpacked,
 * then moved and chowned — chown clears a capability, which must be set again).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { collectBytes, writeTarEntries, bytesSource } from '../tar/writer.js';
import type { TarEntry } from '../tar/entry.js';
import { OciStore } from '../store/store.js';
import { entryXattrs, isCapabilityValue } from './archive-xattrs.js';
import { buildTree, type BuildReport } from './build.js';
import { addPackage, tempDir, writeFiles } from './testsupport/busybox-tree.js';
import { imageView, layerEntries } from './testsupport/inspect.js';
import { readXattrs } from '../sandbox/native.js';

/** struct vfs_cap_data revision 2, effective, permitted = CAP_NET_RAW (13). */
function netRawCapability(): Uint8Array {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  b.writeUInt32LE(1 << 13, 4);
  return new Uint8Array(b);
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v).toString('utf8'));

async function tarBytes(entries: TarEntry[]): Promise<Uint8Array> {
  return collectBytes(writeTarEntries(entries, { sourceDateEpoch: 1 }));
}

let tree: string;
let report: BuildReport;

before(async () => {
  tree = tempDir('strata-xattr-tree-');
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  const caps = await tarBytes([
    { path: 'bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1, xattrs: { 'user.dir': enc('d') } },
    { path: 'bin/ping', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 1, size: 4, content: bytesSource('ping'), xattrs: { 'security.capability': netRawCapability(), 'user.comment': enc('hello') } },
    { path: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, linkname: 'ping' },
    { path: 'etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 },
    { path: 'etc/conf', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 2, content: bytesSource('c\n'), xattrs: { 'user.a': enc('1'), 'trusted.evil': enc('x'), 'security.selinux': enc('system_u:object_r:etc_t:s0') } },
  ]);
  const src = tempDir('strata-xattr-src-');
  writeFileSync(path.join(src, 'lib.so'), 'lib\n');
  const la = path.join(src, 'la.tar');
  execFileSync('tar', ['--format=pax', '--pax-option=LIBARCHIVE.xattr.user.lib:=aGVsbG8=', '--pax-option=LIBARCHIVE.xattr.trusted.x:=eA==', '--owner=0', '--group=0', '--numeric-owner', '-cf', la, '-C', src, 'lib.so']);
  const badCap = await tarBytes([
    { path: 'f', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 1, size: 1, content: bytesSource('f'), xattrs: { 'security.capability': enc('not a capability') } },
  ]);
  addPackage(tree, 'core', 'xattrs', 'FROM scratch\nADD caps.tar /direct/\nADD --chown=1000:1000 caps.tar /moved/\nADD la.tar /la/\n', {
    'caps.tar': Buffer.from(caps),
    'la.tar': readFileSync(la),
  });
  addPackage(tree, 'core', 'badcap', 'FROM scratch\nADD bad.tar /x/\n', { 'bad.tar': Buffer.from(badCap) });
  mkdirSync(path.join(tree, 'digests'), { recursive: true });
  report = await buildTree({ tree, images: ['core-xattrs'] });
});

function find(entries: Awaited<ReturnType<typeof layerEntries>>, name: string): Awaited<ReturnType<typeof layerEntries>>[number] {
  const e = entries.find((x) => x.name === name);
  assert.ok(e, `${name} in ${entries.map((x) => x.name).join(',')}`);
  return e;
}

test('ADD into a new directory: user.* and security.capability reach the layer; trusted.* and security.selinux do not', async () => {
  const entries = await layerEntries(report.store, 'core-xattrs', 0);
  const ping = find(entries, 'direct/bin/ping');
  assert.deepEqual(Object.keys(ping.xattrs).sort(), ['security.capability', 'user.comment']);
  assert.deepEqual([...ping.xattrs['security.capability']!], [...netRawCapability()]);
  assert.equal(text(ping.xattrs['user.comment']), 'hello');
  assert.deepEqual(Object.keys(find(entries, 'direct/etc/conf').xattrs), ['user.a']);
  assert.equal(text(find(entries, 'direct/bin/').xattrs['user.dir']), 'd');
  assert.deepEqual(find(entries, 'direct/bin/sh').xattrs, {});
  const log = readFileSync(report.results[0]!.log, 'utf8');
  assert.match(log, /caps\.tar: extended attributes not kept in the layer: security\.selinux, trusted\.evil/);
});

test('ADD --chown (unpacked, moved, chowned): the capability survives the chown, user.* attributes too', async () => {
  const entries = await layerEntries(report.store, 'core-xattrs', 1);
  const ping = find(entries, 'moved/bin/ping');
  assert.equal(ping.uid, 1000);
  assert.equal(ping.mode, 0o755);
  assert.deepEqual(Object.keys(ping.xattrs).sort(), ['security.capability', 'user.comment']);
  assert.deepEqual([...ping.xattrs['security.capability']!], [...netRawCapability()]);
  assert.deepEqual(Object.keys(find(entries, 'moved/etc/conf').xattrs), ['user.a']);
  assert.equal(text(find(entries, 'moved/bin/').xattrs['user.dir']), 'd');
});

test('the extracted layer (what later steps stack on) has the kept attributes back', async () => {
  const view = await imageView(report.store, 'core-xattrs');
  for (const p of ['direct/bin/ping', 'moved/bin/ping']) {
    const attrs = Object.fromEntries(readXattrs(view.node(p)!.abs));
    assert.deepEqual(Object.keys(attrs).sort(), ['security.capability', 'user.comment'], p);
    assert.deepEqual([...attrs['security.capability']!], [...netRawCapability()], p);
  }
  assert.deepEqual(readXattrs(view.node('direct/etc/conf')!.abs).map(([k]) => k), ['user.a']);
});

test('a bsdtar-style LIBARCHIVE.xattr record (base64 value) is applied like a SCHILY one', async () => {
  const entries = await layerEntries(report.store, 'core-xattrs', 2);
  assert.deepEqual(Object.fromEntries(Object.entries(find(entries, 'la/lib.so').xattrs).map(([k, v]) => [k, text(v)])), { 'user.lib': 'hello' });
});

test('the same archive gives the same layer digests on a rebuild from scratch', async () => {
  const s = await OciStore.open(report.store);
  const first = await s.readManifest((await s.resolveRef('core-xattrs'))!.digest);
  const again = await buildTree({ tree, images: ['core-xattrs'], store: path.join(tempDir('strata-xattr-store2-'), 'store'), noCache: true });
  const s2 = await OciStore.open(again.store);
  const second = await s2.readManifest((await s2.resolveRef('core-xattrs'))!.digest);
  assert.deepEqual(second.layers.map((l) => l.digest), first.layers.map((l) => l.digest));
});

test('a malformed security.capability is refused at the ADD line: exit 2, nothing stored', async () => {
  await assert.rejects(buildTree({ tree, images: ['core-badcap'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'build/add-bad-xattr');
    assert.equal(e.kind, 'input');
    assert.equal(e.location?.line, 2);
    assert.match(e.location?.file ?? '', /badcap\/Containerfile$/);
    return true;
  });
  assert.equal(await (await OciStore.open(report.store)).resolveRef('core-badcap'), undefined);
});

test('pure: entryXattrs merges SCHILY and LIBARCHIVE records; isCapabilityValue checks the header', () => {
  const r = entryXattrs({ xattrs: { 'user.b': enc('s') }, pax: { 'LIBARCHIVE.xattr.user.b': 'eA==', 'LIBARCHIVE.xattr.user%2Ea%20b': 'eQ==', mtime: '1' } });
  assert.deepEqual(r.xattrs.map(([k, v]) => [k, text(v)]), [['user.a b', 'y'], ['user.b', 's']]);
  assert.equal(entryXattrs({ xattrs: {}, pax: { 'LIBARCHIVE.xattr.user.c': 'not base64!' } }).bad, 'LIBARCHIVE.xattr.user.c');
  assert.equal(isCapabilityValue(netRawCapability()), true);
  const v3 = Buffer.alloc(24);
  v3.writeUInt32LE(0x03000000, 0);
  assert.equal(isCapabilityValue(new Uint8Array(v3)), true);
  assert.equal(isCapabilityValue(new Uint8Array(v3.subarray(0, 20))), false);
  assert.equal(isCapabilityValue(enc('x'.repeat(20))), false);
});
