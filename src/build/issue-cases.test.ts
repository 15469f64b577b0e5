/**
 * Integration: sentences of issue 3 checked through real builds (the sandbox and store
 * tests check the same rules one level down). One busybox tree, its base built once:
 * - the sandbox of §3 inside a build: no block device, no mount, no way to the host's
 *   files, no host environment, no network by default; --allow-network gives network
 *   (except to a RUN --network=none) and marks the image not hermetic;
 * - bad input: archive entries escaping the root and an ADD URL whose checksum is not in
 *   the source cache are located at the ADD line; a source whose bytes do not match its
 *   hash fails the build; nothing partial is stored;
 * - ADD of a URL is served from the source cache (fetched from a file:// mirror);
 * - subpackages build with --target package-<sub>; building some images changes only
 *   their lines of digests/<stage>.txt.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { OciStore } from '../store/store.js';
import { buildTree, type BuildReport } from './build.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';
import { imageView } from './testsupport/inspect.js';

let tree: string;
let store: string;
let server: net.Server;
let port = 0;
let connections = 0;
const hostDir = tempDir('strata-host-only-');
const hostMark = path.join(hostDir, 'marker');

const sha256 = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

before(async () => {
  server = net.createServer((s) => {
    connections++;
    s.on('error', () => {});
    s.end('hello from host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  writeFileSync(hostMark, 'host\n');
  tree = makeBusyboxTree('strata-issue-tree-');
  store = path.join(tempDir('strata-issue-store-'), 'store');
  const r = await buildTree({ tree, store, images: ['core-busybox'] });
  assert.equal(r.results.length, 1);
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function refOf(image: string): Promise<string | undefined> {
  return (await (await OciStore.open(store)).resolveRef(image))?.digest;
}

test('sandbox in a build: a RUN cannot mknod a block device, mount, or reach the host\'s files; writes stay in its root', async () => {
  addPackage(tree, 'core', 'sbx', `FROM stagex/core-busybox
RUN ! mknod /blk b 7 0 2>/dev/null && test ! -e /blk
RUN mkdir -p /mnt && ! mount -t tmpfs none /mnt 2>/dev/null
RUN test ! -e ${hostMark} && mkdir -p ${hostDir} && echo inside > ${hostMark}
RUN chown 1000:1000 ${hostMark}
`);
  const r = await buildTree({ tree, store, images: ['core-sbx'] });
  assert.ok(r.results.some((x) => x.image === 'core-sbx' && !x.cached));
  assert.equal(readFileSync(hostMark, 'utf8'), 'host\n', 'the host file is untouched');
  const view = await imageView(store, 'core-sbx');
  const inside = view.node(hostMark.slice(1))!;
  assert.equal(readFileSync(inside.abs, 'utf8'), 'inside\n', 'the write landed in the image');
  assert.equal(inside.uid, 1000);
  assert.equal(view.node('blk'), undefined);
});

test('sandbox in a build: the environment is ENV/ARG plus the fixed variables, nothing from the host', async () => {
  process.env['STRATA_HOST_SECRET'] = 'leak';
  try {
    addPackage(tree, 'core', 'envcheck', 'FROM stagex/core-busybox\nARG A1=one\nENV E1="two words"\nRUN env > /env.txt\n');
    await buildTree({ tree, store, images: ['core-envcheck'], env: { ...process.env } });
  } finally {
    delete process.env['STRATA_HOST_SECRET'];
  }
  const view = await imageView(store, 'core-envcheck');
  const env = new Map(readFileSync(view.node('env.txt')!.abs, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  // the shell adds its own PWD/SHLVL; everything else is strata's
  for (const k of ['PWD', 'SHLVL']) env.delete(k);
  assert.deepEqual(Object.fromEntries([...env].sort()), {
    A1: 'one', E1: 'two words', HOME: '/root', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', SOURCE_DATE_EPOCH: '1', TZ: 'UTC',
  });
});

test('no network by default: a RUN reaching a server on 127.0.0.1 fails, and the image is hermetic', async () => {
  const before = connections;
  addPackage(tree, 'core', 'nonet', `FROM stagex/core-busybox\nRUN nc -w 3 127.0.0.1 ${port} </dev/null > /got || true\n`);
  const r = await buildTree({ tree, store, images: ['core-nonet'] });
  assert.equal(r.results.find((x) => x.image === 'core-nonet')!.hermetic, true);
  assert.equal(connections, before);
  const view = await imageView(store, 'core-nonet');
  assert.doesNotMatch(readFileSync(view.node('got')!.abs, 'utf8'), /hello from host/);
});

test('--allow-network: a RUN reaches the host (not one saying --network=none); the report marks the image not hermetic', async () => {
  const before = connections;
  addPackage(tree, 'core', 'net', `FROM stagex/core-busybox
RUN nc -w 3 127.0.0.1 ${port} </dev/null > /got
RUN --network=none nc -w 3 127.0.0.1 ${port} </dev/null > /none || true
`);
  const r = await buildTree({ tree, store, images: ['core-net'], allowNetwork: true });
  assert.equal(r.results.find((x) => x.image === 'core-net')!.hermetic, false);
  assert.equal(connections, before + 1);
  const view = await imageView(store, 'core-net');
  assert.equal(readFileSync(view.node('got')!.abs, 'utf8'), 'hello from host\n');
  assert.equal(readFileSync(view.node('none')!.abs, 'utf8'), '');
});

test('an ADDed archive whose entry escapes the root (symlink, then a file through it): exit 2 at the ADD line, no image', async () => {
  // GNU tar: the symlink first, then a file appended under the symlink's name
  const src = tempDir('strata-evil-src-');
  symlinkSync('../../../..', path.join(src, 'l'));
  writeFileSync(path.join(src, 'evil'), 'evil\n');
  const evil = path.join(src, 'evil.tar');
  execFileSync('tar', ['-cf', evil, '-C', src, 'l']);
  execFileSync('tar', ['-rf', evil, '--transform', 's,^evil$,l/evil,', '-C', src, 'evil']);
  const dir = addPackage(tree, 'core', 'evil', 'FROM scratch\nCOPY ok /ok\nADD evil.tar /x/\n', { ok: 'ok\n', 'evil.tar': readFileSync(evil) });
  await assert.rejects(buildTree({ tree, store, images: ['core-evil'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'tar/through-symlink');
    assert.equal(e.exitCode, 2);
    assert.deepEqual(e.location, { file: path.join(dir, 'Containerfile'), line: 3, col: 1 });
    assert.match(e.format(), /evil\.tar: entry 'l\/evil'/);
    return true;
  });
  assert.equal(await refOf('core-evil'), undefined);
});

test('ADD of a URL is served from the source cache; a checksum not in the cache is exit 2 at --checksum; a source with other bytes fails the build', async () => {
  const mirror = tempDir('strata-mirror-');
  writeFileSync(path.join(mirror, 'blob.txt'), 'blob bytes\n');
  const h = sha256('blob bytes\n');
  const sources = (hash: string): string => `[sources.blob]\nhash = "${hash}"\nmirrors = ["file://${mirror}/blob.txt"]\nfile = "blob.txt"\n`;
  addPackage(tree, 'core', 'url', `FROM scratch\nADD --checksum=sha256:${h} https://example.org/dl/blob.txt /blob.txt\n`, {}, sources(h));
  await buildTree({ tree, store, images: ['core-url'] });
  const node = (await imageView(store, 'core-url')).node('blob.txt')!;
  assert.equal(readFileSync(node.abs, 'utf8'), 'blob bytes\n');
  assert.equal(node.mode, 0o600);

  const other = sha256('other');
  const dir = addPackage(tree, 'core', 'urlmiss', `FROM scratch\nADD --checksum=sha256:${other} https://example.org/dl/other.txt /o\n`);
  await assert.rejects(buildTree({ tree, store, images: ['core-urlmiss'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'build/add-url-not-cached');
    assert.equal(e.exitCode, 2);
    assert.deepEqual(e.location, { file: path.join(dir, 'Containerfile'), line: 2, col: 5 });
    return true;
  });
  assert.equal(await refOf('core-urlmiss'), undefined);

  const badDir = addPackage(tree, 'core', 'badsrc', 'FROM scratch\nADD fetch/blob.txt /b\n', {}, sources(sha256('not these bytes')));
  await assert.rejects(buildTree({ tree, store, images: ['core-badsrc'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'build/sources-missing');
    assert.equal(e.exitCode, 1);
    assert.equal(e.location?.file, path.join(badDir, 'package.toml'));
    assert.match(e.message, /sha256|hash/);
    return true;
  });
  assert.equal(await refOf('core-badsrc'), undefined);
});

test('subpackages build their own --target stage; building some images changes only their digests lines', async () => {
  addPackage(tree, 'core', 'multi', 'FROM scratch AS package-suba\nCOPY a /a\n\nFROM scratch AS package-subb\nCOPY b /b\n', { a: 'a\n', b: 'b\n' }, 'subpackages = ["suba", "subb"]\n');
  const digests = path.join(tree, 'digests', 'core.txt');
  const lines = (): Map<string, string> => new Map(readFileSync(digests, 'utf8').trim().split('\n').map((l) => [l.split(' ')[1]!, l.split(' ')[0]!]));
  const beforeA = lines();
  const a: BuildReport = await buildTree({ tree, store, images: ['core-suba'] });
  const afterA = lines();
  assert.equal(afterA.get('core-suba'), a.results.find((x) => x.image === 'core-suba')!.digest.slice('sha256:'.length));
  assert.equal(afterA.has('core-subb'), false);
  assert.equal(afterA.has('core-multi'), false);
  for (const [k, v] of beforeA) assert.equal(afterA.get(k), v, k);
  await buildTree({ tree, store, images: ['core-subb'] });
  const afterB = lines();
  for (const [k, v] of afterA) assert.equal(afterB.get(k), v, k);
  assert.ok(afterB.has('core-subb'));
  const va = await imageView(store, 'core-suba');
  assert.ok(va.node('a') && !va.node('b'));
  const vb = await imageView(store, 'core-subb');
  assert.ok(vb.node('b') && !vb.node('a'));
  assert.equal(await refOf('core-multi'), undefined);
});

test('COPY globs: *, ? and [..] pick context files (sorted), into the destination directory; a glob matching nothing is exit 2 at the line', async () => {
  addPackage(tree, 'core', 'globs', 'FROM scratch\nCOPY a*.txt /g/\nCOPY sub/?.txt /h/\nCOPY [b]*.txt /k/\n', {
    'a1.txt': 'a1\n', 'a2.txt': 'a2\n', 'b.txt': 'b\n', 'sub/x.txt': 'x\n', 'sub/yy.txt': 'yy\n',
  });
  await buildTree({ tree, store, images: ['core-globs'] });
  const view = await imageView(store, 'core-globs');
  assert.deepEqual(view.list('g').sort(), ['a1.txt', 'a2.txt']);
  assert.deepEqual(view.list('h'), ['x.txt']);
  assert.deepEqual(view.list('k'), ['b.txt']);
  const dir = addPackage(tree, 'core', 'noglob', 'FROM scratch\nCOPY z*.txt /z/\n', { 'a.txt': 'a\n' });
  await assert.rejects(buildTree({ tree, store, images: ['core-noglob'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'build/source-not-found');
    assert.equal(e.exitCode, 2);
    assert.deepEqual(e.location, { file: path.join(dir, 'Containerfile'), line: 2, col: 1 });
    return true;
  });
  assert.equal(await refOf('core-noglob'), undefined);
});
