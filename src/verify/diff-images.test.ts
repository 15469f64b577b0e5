import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OciStore } from '../store/store.js';
import { exportImage } from '../store/export.js';
import { prepareEntries } from '../tar/prepare.js';
import { bytesSource, collectBytes, writeTar } from '../tar/writer.js';
import type { TarEntry } from '../tar/entry.js';
import { diffNamedImages } from './diff-images.js';
import { renderComparison } from './render.js';
import { writeTestImage } from './test-images.js';
import type { ImageComparison, LayerComparison, PathDifference } from './types.js';

let dir: string;
let store: OciStore;
let where: { storeDir: string; cwd: string };

const file = (p: string, content: string | Uint8Array, extra: Partial<TarEntry> = {}): TarEntry => {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return { path: p, type: 'file', mode: 0o644, size: bytes.length, content: bytesSource(bytes), mtime: 1, ...extra };
};
const d = (p: string, extra: Partial<TarEntry> = {}): TarEntry => ({ path: p, type: 'dir', mode: 0o755, mtime: 1, ...extra });

const BASE: TarEntry[] = [
  d('etc'),
  file('etc/os-release', 'NAME=test\nVERSION=1\nID=test\nA=1\nB=2\nC=3\nD=4\nE=5\nF=6\n'),
  file('bin/tool', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])),
  d('bin'),
  { path: 'bin/sh', type: 'symlink', linkname: 'busybox', mtime: 1 },
  file('bin/busybox', 'not really busybox'),
  { path: 'bin/ln', type: 'hardlink', linkname: 'bin/busybox', mtime: 1 },
  file('etc/cap', 'x', { xattrs: { 'security.capability': new Uint8Array([1, 0, 0, 2]) } }),
  file('etc/gone', 'bye\n'),
];

function replace(entries: readonly TarEntry[], p: string, e: TarEntry | undefined): TarEntry[] {
  const out = entries.filter((x) => x.path !== p);
  if (e) out.push(e);
  return out;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'strata-verify-diff-'));
  store = await OciStore.open(path.join(dir, 'store'), { create: true });
  where = { storeDir: store.root, cwd: dir };
  const top = [file('usr/share/doc', 'docs\n'), d('usr'), d('usr/share')];
  await writeTestImage(store, 'base', [BASE, top], { config: { Env: ['PATH=/bin'] } });
  await writeTestImage(store, 'base-again', [BASE, top], { config: { Env: ['PATH=/bin'] } });
  let changed: TarEntry[] = replace(BASE, 'etc/os-release', file('etc/os-release', 'NAME=test\nVERSION=2\nID=test\nA=1\nB=2\nC=3\nD=4\nE=5\nF=6\nG=7\n'));
  changed = replace(changed, 'bin/tool', file('bin/tool', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 9, 9, 9, 9]), { mode: 0o755 }));
  changed = replace(changed, 'bin/sh', { path: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime: 1 });
  changed = replace(changed, 'etc/cap', file('etc/cap', 'x', { xattrs: { 'security.capability': new Uint8Array([1, 0, 0, 3]) } }));
  changed = replace(changed, 'etc/gone', undefined);
  changed.push(file('etc/new', 'hello\n', { uid: 1000, gid: 1000 }));
  changed = replace(changed, 'bin/busybox', file('bin/busybox', 'not really busybox', { mtime: 0 }));
  changed = replace(changed, 'bin/ln', file('bin/ln', 'copy'));
  await writeTestImage(store, 'changed', [changed, top], { config: { Env: ['PATH=/usr/bin:/bin'] } });
  await writeTestImage(store, 'plain', [BASE, top], { compression: 'none', config: { Env: ['PATH=/bin'] } });
  await writeTestImage(store, 'longer', [BASE, top, [file('extra', 'more\n')]], { config: { Env: ['PATH=/bin'] } });
  const reversed = prepareEntries(BASE, { sourceDateEpoch: 1, parents: 'ignore' }).reverse();
  await writeTestImage(store, 'reordered', [{ tar: await collectBytes(writeTar(reversed)) }, top], { config: { Env: ['PATH=/bin'] } });
  await exportImage(store, 'base', path.join(dir, 'exported'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function layer(c: ImageComparison, i: number): LayerComparison {
  const l = c.layers[i];
  assert.ok(l, `layer ${i} present`);
  return l;
}
function at(l: LayerComparison, p: string): PathDifference {
  const x = l.paths?.find((d) => d.path === p);
  assert.ok(x, `difference at ${p} in ${JSON.stringify(l.paths?.map((d) => d.path))}`);
  return x;
}
function fields(x: PathDifference): string[] {
  return x.changes.map((c) => c.field);
}

test('identical images: same digest, no differences', async () => {
  const c = await diffNamedImages('base', 'base-again', where);
  assert.equal(c.identical, true);
  assert.equal(c.a.digest, c.b.digest);
  assert.deepEqual(c.layers, []);
  assert.deepEqual(renderComparison(c).slice(-1), ['identical']);
});

test('every kind of file difference is found and described', async () => {
  const c = await diffNamedImages('base', 'changed', where);
  assert.equal(c.identical, false);
  assert.equal(c.layerCount, undefined);
  const l0 = layer(c, 0);
  assert.equal(l0.status, 'different');
  assert.notEqual(l0.a!.diffId, l0.b!.diffId);
  assert.equal(layer(c, 1).status, 'identical');

  const rel = at(l0, 'etc/os-release');
  assert.deepEqual(fields(rel), ['content', 'size']);
  assert.match(rel.changes[0]!.a, /^[0-9a-f]{64}$/);
  assert.ok(rel.textDiff, 'small text file gets a line diff');
  assert.ok(rel.textDiff.lines.includes('-VERSION=1'));
  assert.ok(rel.textDiff.lines.includes('+VERSION=2'));
  assert.ok(rel.textDiff.lines.includes('+G=7'));
  assert.match(rel.textDiff.lines[0]!, /^@@ -1,\d+ \+1,\d+ @@$/);

  const tool = at(l0, 'bin/tool');
  assert.deepEqual(fields(tool), ['content', 'mode']);
  assert.equal(tool.textDiff, undefined, 'binary content gets no line diff');
  assert.deepEqual(tool.changes[1], { field: 'mode', a: '0644', b: '0755' });

  assert.deepEqual(at(l0, 'bin/sh').changes, [{ field: 'link-target', a: 'busybox', b: '/bin/busybox' }]);
  assert.deepEqual(fields(at(l0, 'etc/cap')), ['xattrs']);
  assert.match(at(l0, 'etc/cap').changes[0]!.a, /security\.capability=hex:01000002/);
  assert.equal(at(l0, 'etc/gone').status, 'only-a');
  const added = at(l0, 'etc/new');
  assert.equal(added.status, 'only-b');
  assert.equal(added.typeB, 'file');
  assert.deepEqual(at(l0, 'bin/busybox').changes, [{ field: 'mtime', a: '1', b: '0' }]);
  const ln = at(l0, 'bin/ln');
  assert.equal(ln.changes[0]!.field, 'type');
  assert.deepEqual([ln.typeA, ln.typeB], ['hardlink', 'file']);

  assert.deepEqual(c.config, [{ path: 'config.Env[0]', a: '"PATH=/bin"', b: '"PATH=/usr/bin:/bin"' }]);
  assert.ok(c.configDigest);
  assert.deepEqual(c.manifest, [], 'layer digests are explained by the layer section, not repeated');

  const text = renderComparison(c).join('\n');
  assert.match(text, /layer 0: differs/);
  assert.match(text, /etc\/os-release: content sha256 [0-9a-f]{64} → [0-9a-f]{64}; size \d+ → \d+ bytes/);
  assert.match(text, /^ {6}-VERSION=1$/m);
  assert.match(text, /etc\/gone: only in A \(file\)/);
  assert.match(text, /bin\/tool: .*mode 0644 → 0755/);
  assert.match(text, /config\.Env\[0\]: "PATH=\/bin" → "PATH=\/usr\/bin:\/bin"/);
});

test('owner differences: uid and gid', async () => {
  const s2 = await OciStore.open(path.join(dir, 'owners'), { create: true });
  await writeTestImage(s2, 'a', [[file('f', 'x\n', { uid: 0, gid: 0 })]]);
  await writeTestImage(s2, 'b', [[file('f', 'x\n', { uid: 1000, gid: 100 })]]);
  const c = await diffNamedImages('a', 'b', { storeDir: s2.root, cwd: dir });
  assert.deepEqual(at(layer(c, 0), 'f').changes, [
    { field: 'uid', a: '0', b: '1000' },
    { field: 'gid', a: '0', b: '100' },
  ]);
});

test('same files, different compression: diff_ids equal, blobs differ', async () => {
  const c = await diffNamedImages('base', 'plain', where);
  assert.equal(c.identical, false);
  for (const l of c.layers) {
    assert.equal(l.status, 'recompressed');
    assert.equal(l.a!.diffId, l.b!.diffId);
    assert.notEqual(l.a!.digest, l.b!.digest);
    assert.equal(l.paths, undefined, 'recompressed layers are not read');
  }
  assert.deepEqual(c.config, []);
  assert.match(renderComparison(c).join('\n'), /layer 0: same files \(diff_id sha256:[0-9a-f]{64}\), different compressed bytes/);
});

test('layer count differs: the extra layer is listed with its files', async () => {
  const c = await diffNamedImages('base', 'longer', where);
  assert.deepEqual(c.layerCount, { a: 2, b: 3 });
  const l2 = layer(c, 2);
  assert.equal(l2.status, 'only-b');
  assert.equal(l2.entriesB, 1);
  assert.deepEqual(l2.paths?.map((p) => [p.path, p.status]), [['extra', 'only-b']]);
  assert.deepEqual(c.config.map((f) => f.path), ['history[2]']);
  assert.match(renderComparison(c).join('\n'), /layer count: A has 2, B has 3/);
});

test('same entries in another order: the order difference is named', async () => {
  const c = await diffNamedImages('base', 'reordered', where);
  const l0 = layer(c, 0);
  assert.equal(l0.status, 'different');
  assert.deepEqual(l0.paths, []);
  assert.ok(l0.order);
  assert.equal(l0.order.position, 0);
  assert.match(renderComparison(c).join('\n'), /entry order differs at position 0/);
});

test('an OCI layout (oci:DIR and oci:DIR:REF) compares with a store image', async () => {
  const same = await diffNamedImages(`oci:${path.join(dir, 'exported')}`, 'base', where);
  assert.equal(same.identical, true);
  const byRef = await diffNamedImages('oci:exported:base', 'changed', where);
  assert.equal(byRef.identical, false);
  assert.equal(byRef.a.label, 'oci:exported:base');
});

test('a store image named by manifest digest', async () => {
  const desc = await store.resolveRef('changed');
  const c = await diffNamedImages(desc!.digest, 'changed', where);
  assert.equal(c.identical, true);
});

test('bad names are input errors with hints, and nothing is written', async () => {
  const before = await readdir(path.join(dir, 'exported'));
  await assert.rejects(diffNamedImages('nope', 'base', where), (e: { code: string; kind: string; hint: string }) => e.code === 'verify/unknown-image' && e.kind === 'input' && /strata build/.test(e.hint));
  await assert.rejects(diffNamedImages('oci:exported:nope', 'base', where), (e: { code: string; hint: string }) => e.code === 'verify/unknown-image' && /base/.test(e.hint));
  await assert.rejects(diffNamedImages('oci:missing-dir', 'base', where), { code: 'verify/not-a-layout' });
  await assert.rejects(diffNamedImages('base', 'base', { storeDir: path.join(dir, 'nostore'), cwd: dir }), { code: 'verify/not-a-layout' });
  assert.deepEqual(await readdir(path.join(dir, 'exported')), before);
  assert.deepEqual((await readdir(dir)).includes('nostore'), false);
});

test('a layer whose content does not match its diff_id is reported as damage, not as a difference', async () => {
  const s3 = await OciStore.open(path.join(dir, 'damaged'), { create: true });
  const a = await writeTestImage(s3, 'a', [[file('f', 'one\n')]], { compression: 'none' });
  await writeTestImage(s3, 'b', [[file('f', 'two\n')]], { compression: 'none' });
  const m = await s3.readManifest(a.digest);
  const blob = s3.blobPath(m.layers[0]!.digest);
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(blob);
  bytes[513] = bytes[513]! ^ 1; // inside the file data of 'f'
  await writeFile(blob, bytes);
  await assert.rejects(diffNamedImages('a', 'b', { storeDir: s3.root, cwd: dir }), { code: 'verify/corrupt-layer', kind: 'check' });
});

test('a zstd layer (compressed by the zstd tool) is read and compared like the others', async () => {
  const { execFileSync } = await import('node:child_process');
  const { MEDIA_TYPE_LAYER_ZSTD } = await import('../oci/types.js');
  const { buildImageConfig } = await import('../oci/build.js');
  const { sha256Digest } = await import('../digest/digest.js');
  const s4 = await OciStore.open(path.join(dir, 'zstd'), { create: true });
  await writeTestImage(s4, 'gz', [[file('f', 'one\n')]]);
  const tar = await collectBytes(writeTar(prepareEntries([file('f', 'two\n')], { sourceDateEpoch: 1, parents: 'ignore' })));
  const blob = execFileSync('zstd', ['-q', '-c', '--no-check'], { input: tar });
  const ref = await s4.putBlob(new Uint8Array(blob));
  const cfg = buildImageConfig({ platform: { os: 'linux', architecture: 'amd64' }, sourceDateEpoch: 1, diffIds: [sha256Digest(tar)], history: [{ created_by: 'test layer 0' }] });
  await s4.writeImage('zst', cfg, [{ mediaType: MEDIA_TYPE_LAYER_ZSTD, digest: ref.digest, size: ref.size }]);
  const c = await diffNamedImages('gz', 'zst', { storeDir: s4.root, cwd: dir });
  const l0 = layer(c, 0);
  assert.equal(l0.status, 'different');
  assert.equal(l0.b!.mediaType, MEDIA_TYPE_LAYER_ZSTD);
  assert.deepEqual(at(l0, 'f').textDiff?.lines, ['@@ -1,1 +1,1 @@', '-one', '+two']);
});
