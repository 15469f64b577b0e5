/**
 * Integration: `COPY --from` carries the kept extended attributes (user.* and
 * security.capability) of a stage's or a store image's files into its layer, with and
 * without --chown (chown clears a capability; it is set again after), as BuildKit does
 * (ADR 0155). The source files get their attributes from an ADDed archive made at test
 * time by strata's own tar writer (PAX SCHILY.xattr.*). Context files never carry the
 * host's attributes, and a directory a COPY writes into is copied up with its own.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { collectBytes, writeTarEntries, bytesSource } from '../tar/writer.js';
import type { TarEntry } from '../tar/entry.js';
import { readXattrs, setXattr } from '../sandbox/native.js';
import { OciStore } from '../store/store.js';
import { buildTree, type BuildReport } from './build.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';
import { imageView, layerEntries } from './testsupport/inspect.js';

/** struct vfs_cap_data revision 2, effective, permitted = CAP_NET_RAW (13). */
function netRawCapability(): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  b.writeUInt32LE(1 << 13, 4);
  return b;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v).toString('utf8'));

type Entries = Awaited<ReturnType<typeof layerEntries>>;
function find(entries: Entries, name: string): Entries[number] {
  const e = entries.find((x) => x.name === name);
  assert.ok(e, `${name} in ${entries.map((x) => x.name).join(',')}`);
  return e;
}

function assertPing(e: Entries[number], uid: number): void {
  assert.equal(e.uid, uid, e.name);
  assert.equal(e.mode, 0o755, e.name);
  assert.deepEqual(Object.keys(e.xattrs).sort(), ['security.capability', 'user.comment'], e.name);
  assert.deepEqual([...e.xattrs['security.capability']!], [...netRawCapability()], e.name);
  assert.equal(text(e.xattrs['user.comment']), 'hello', e.name);
}

let tree: string;
let report: BuildReport;

const COPYX = `FROM scratch AS src
ADD caps.tar /opt/
FROM scratch
COPY --from=src /opt/bin /plain/bin
COPY --from=src --chown=1000:1000 /opt/ /owned/
COPY --from=src /opt/bin/ping /single
COPY --from=stagex/core-caps /opt/etc/conf /fromimage/conf
COPY --from=stagex/core-caps --chown=7:7 --chmod=0755 /opt/bin/ping /fromimage/ping
COPY ctx.txt /plain/bin/ctx.txt
`;

// the source files are in a RUN's layer: the kernel's copy-up (chmod, touch) kept their
// attributes there, and extracting that layer restored them
const RUNSRC = `FROM stagex/core-busybox AS src
ADD caps.tar /opt/
RUN chmod 0750 /opt/bin/ping && touch /opt/etc/conf
FROM scratch
COPY --from=src /opt/bin/ping /ping
COPY --from=src --chown=5:5 /opt/etc/conf /conf
`;

before(async () => {
  tree = makeBusyboxTree('strata-copy-xattr-tree-');
  const entries: TarEntry[] = [
    { path: 'bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1, xattrs: { 'user.dir': enc('d') } },
    { path: 'bin/ping', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 1, size: 4, content: bytesSource('ping'), xattrs: { 'security.capability': new Uint8Array(netRawCapability()), 'user.comment': enc('hello') } },
    { path: 'bin/sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, linkname: 'ping' },
    { path: 'etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 },
    { path: 'etc/conf', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 2, content: bytesSource('c\n'), xattrs: { 'user.a': enc('1') } },
    { path: 'etc/plain', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 2, content: bytesSource('p\n') },
  ];
  const caps = Buffer.from(await collectBytes(writeTarEntries(entries, { sourceDateEpoch: 1 })));
  addPackage(tree, 'core', 'caps', 'FROM scratch\nADD caps.tar /opt/\n', { 'caps.tar': caps });
  const dir = addPackage(tree, 'core', 'copyx', COPYX, { 'caps.tar': caps, 'ctx.txt': 'ctx\n' });
  // a host attribute on a context file must not reach the layer
  setXattr(path.join(dir, 'ctx.txt'), 'user.host', Buffer.from('leak'));
  addPackage(tree, 'core', 'runsrc', RUNSRC, { 'caps.tar': caps });
  mkdirSync(path.join(tree, 'digests'), { recursive: true });
  report = await buildTree({ tree, images: ['core-copyx', 'core-runsrc'] });
});

test('COPY --from a stage: a directory source carries user.* of the directory and user.* + capability of its files', async () => {
  const entries = await layerEntries(report.store, 'core-copyx', 0);
  assertPing(find(entries, 'plain/bin/ping'), 0);
  assert.equal(text(find(entries, 'plain/bin/').xattrs['user.dir']), 'd');
  assert.deepEqual(find(entries, 'plain/bin/sh').xattrs, {});
});

test('COPY --from a stage with --chown: the capability is set again after the chown; user.* kept; files without attributes get none', async () => {
  const entries = await layerEntries(report.store, 'core-copyx', 1);
  assertPing(find(entries, 'owned/bin/ping'), 1000);
  assert.equal(find(entries, 'owned/bin/').uid, 1000);
  assert.equal(text(find(entries, 'owned/bin/').xattrs['user.dir']), 'd');
  assert.deepEqual(Object.fromEntries(Object.entries(find(entries, 'owned/etc/conf').xattrs).map(([k, v]) => [k, text(v)])), { 'user.a': '1' });
  assert.deepEqual(find(entries, 'owned/etc/plain').xattrs, {});
});

test('COPY --from a stage, a single file to a new name keeps its attributes', async () => {
  assertPing(find(await layerEntries(report.store, 'core-copyx', 2), 'single'), 0);
});

test('COPY --from a store image, with and without --chown/--chmod', async () => {
  const conf = find(await layerEntries(report.store, 'core-copyx', 3), 'fromimage/conf');
  assert.deepEqual(Object.keys(conf.xattrs), ['user.a']);
  assertPing(find(await layerEntries(report.store, 'core-copyx', 4), 'fromimage/ping'), 7);
});

test('a context file never carries host attributes; the directory it is written into is copied up with its user.* attribute', async () => {
  const entries = await layerEntries(report.store, 'core-copyx', 5);
  assert.deepEqual(find(entries, 'plain/bin/ctx.txt').xattrs, {});
  assert.deepEqual(Object.keys(find(entries, 'plain/bin/').xattrs), ['user.dir']);
});

test('COPY --from a stage whose files were last changed by a RUN (overlay copy-up), with and without --chown', async () => {
  const ping = find(await layerEntries(report.store, 'core-runsrc', 0), 'ping');
  assert.equal(ping.mode, 0o750);
  assert.deepEqual(Object.keys(ping.xattrs).sort(), ['security.capability', 'user.comment']);
  assert.deepEqual([...ping.xattrs['security.capability']!], [...netRawCapability()]);
  const conf = find(await layerEntries(report.store, 'core-runsrc', 1), 'conf');
  assert.equal(conf.uid, 5);
  assert.deepEqual(Object.keys(conf.xattrs), ['user.a']);
});

test('the extracted image (what later steps and strata run see) has the attributes back', async () => {
  const view = await imageView(report.store, 'core-copyx');
  for (const p of ['plain/bin/ping', 'owned/bin/ping', 'single', 'fromimage/ping']) {
    const attrs = Object.fromEntries(readXattrs(view.node(p)!.abs));
    assert.deepEqual(Object.keys(attrs).sort(), ['security.capability', 'user.comment'], p);
    assert.deepEqual([...attrs['security.capability']!], [...netRawCapability()], p);
  }
});

test('the same sources give the same digests on a rebuild from scratch', async () => {
  const s = await OciStore.open(report.store);
  const first = await s.readManifest((await s.resolveRef('core-copyx'))!.digest);
  const again = await buildTree({ tree, images: ['core-copyx'], store: path.join(tempDir('strata-copy-xattr-store2-'), 'store'), noCache: true });
  const s2 = await OciStore.open(again.store);
  const second = await s2.readManifest((await s2.resolveRef('core-copyx'))!.digest);
  assert.deepEqual(second.layers.map((l) => l.digest), first.layers.map((l) => l.digest));
});
