import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTree } from '../build/build.js';
import { addPackage, makeBusyboxTree } from '../build/testsupport/busybox-tree.js';
import { bufferIO } from '../cli/io.js';
import { run as runVerify } from '../cli/commands/verify.js';
import { readRecordedDigests, verifyTree } from './verify.js';
import type { VerifyReport } from './verify.js';

let tree: string;
let digestsBefore: string;
let storeListing: string[];

const storeBlobs = (): string[] => readdirSync(path.join(tree, '.strata', 'store', 'blobs', 'sha256')).sort();

before(async () => {
  tree = makeBusyboxTree('strata-verify-tree-');
  addPackage(tree, 'core', 'app', 'FROM stagex/core-busybox\nCOPY hello.txt /etc/hello.txt\nRUN echo made > /etc/made && ls /etc > /etc/listing\n', { 'hello.txt': 'hello\n' });
  addPackage(tree, 'core', 'leaky', 'FROM stagex/core-busybox\nRUN echo "$RANDOM $RANDOM $RANDOM" > /etc/leak && nproc > /etc/cpus && echo stable > /etc/stable\n');
  await buildTree({ tree, images: [], all: true });
  digestsBefore = readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8');
  storeListing = storeBlobs();
});

after(() => {
  rmSync(tree, { recursive: true, force: true });
});

test('recorded digests are read from digests/*.txt', async () => {
  const d = await readRecordedDigests(tree);
  assert.deepEqual([...d.keys()].sort(), ['core-app', 'core-busybox', 'core-leaky']);
  for (const v of d.values()) assert.match(v, /^sha256:[0-9a-f]{64}$/);
});

test('verify: a deterministic image and its base reproduce; the tree and its store are untouched', async () => {
  // A temp dir of this test's own: the machine's /tmp is shared with other test files and
  // processes (distribution.test runs verifyTree too), whose strata-verify-* directories come
  // and go while this one runs — comparing /tmp listings failed when run beside them.
  const ownTmp = mkdtempSync(path.join(os.tmpdir(), 'strata-verifytest-tmp-'));
  const savedTmp = process.env['TMPDIR'];
  process.env['TMPDIR'] = ownTmp;
  try {
    assert.equal(os.tmpdir(), ownTmp);
    const r = await verifyTree({ tree, images: ['core-app'], env: {} });
    assert.equal(r.ok, true, JSON.stringify(r.images));
    assert.deepEqual(r.images.map((i) => [i.image, i.status]), [['core-app', 'reproduced'], ['core-busybox', 'reproduced']]);
    for (const i of r.images) assert.equal(i.rebuilt, i.expected);
    assert.equal(readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8'), digestsBefore);
    assert.deepEqual(storeBlobs(), storeListing);
    assert.deepEqual(readdirSync(ownTmp), [], 'the rebuild directory is removed (and nothing else is left in the temp dir)');
  } finally {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
    rmSync(ownTmp, { recursive: true, force: true });
  }
});

test('verify --vary: a deterministic image still reproduces under every variation', async () => {
  const io = bufferIO({ PATH: process.env['PATH'] });
  const code = await runVerify(['--tree', tree, '--vary', '--json', 'core-app'], io);
  const r = JSON.parse(io.stdout()) as VerifyReport;
  assert.equal(code, 0, io.stdout() + io.stderr());
  assert.equal(r.vary, true);
  const names = r.variations.map((v) => v.name);
  assert.deepEqual(names, ['build-dir', 'TZ', 'umask', 'LANG', 'LC_ALL', 'jobs', 'cpu-affinity', 'clock', 'context-order']);
  for (const v of r.variations) {
    assert.equal(typeof v.reference, 'string');
    assert.equal(typeof v.rebuild, 'string');
    if (v.applied) assert.notEqual(v.rebuild, v.reference, v.name);
  }
  assert.ok(r.variations.find((v) => v.name === 'build-dir')!.rebuild.length > tree.length);
});

test('verify --vary: a package that writes $RANDOM and nproc output is caught and the files are named', async () => {
  const io = bufferIO({ PATH: process.env['PATH'] });
  const code = await runVerify(['--tree', tree, '--vary', 'core-leaky'], io);
  const out = io.stdout();
  assert.equal(code, 1, out + io.stderr());
  assert.match(out, /^core-leaky +[0-9a-f]{64} +[0-9a-f]{64} +mismatch$/m);
  assert.match(out, /^core-busybox +([0-9a-f]{64}) +\1 +reproduced$/m);
  assert.match(out, /variations \(reference → rebuild\):/);
  assert.match(out, /etc\/leak: content sha256 [0-9a-f]{64} → [0-9a-f]{64}/);
  assert.match(out, /^ +-\d+ \d+ \d+$/m, 'a line diff of the small text file');
  assert.doesNotMatch(out, /etc\/stable/);
  if (readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*\d+-\d+/m)) {
    assert.match(out, /etc\/cpus: content/, 'nproc differs when the rebuild is pinned to one CPU');
  }
  assert.equal(readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8'), digestsBefore);
});

test('verify --json: a mismatch carries the comparison; exit 1', async () => {
  const io = bufferIO({ PATH: process.env['PATH'] });
  const code = await runVerify(['--tree', tree, '--json', 'core-leaky'], io);
  assert.equal(code, 1);
  const r = JSON.parse(io.stdout()) as VerifyReport;
  const leaky = r.images.find((i) => i.image === 'core-leaky')!;
  assert.equal(leaky.status, 'mismatch');
  const layer = leaky.comparison!.layers.find((l) => l.status === 'different')!;
  assert.ok(layer.paths!.some((p) => p.path === 'etc/leak'));
  assert.equal(r.vary, false);
});

test('verify: usage and input errors', async () => {
  await assert.rejects(verifyTree({ tree, images: [], env: {} }), { code: 'verify/nothing-to-verify' });
  await assert.rejects(verifyTree({ tree, images: ['core-nope'], env: {} }), (e: { kind: string }) => e.kind === 'input');
  assert.equal(readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8'), digestsBefore);
});

test('verify: a stale recorded digest is compared with the store\'s current image; an unrecorded image fails', async () => {
  const file = path.join(tree, 'digests', 'core.txt');
  const lines = digestsBefore.trim().split('\n');
  const stale = lines
    .filter((l) => !l.endsWith(' core-busybox'))
    .map((l) => (l.endsWith(' core-app') ? `${'0'.repeat(64)} core-app` : l));
  writeFileSync(file, `${stale.join('\n')}\n`);
  try {
    const progress: string[] = [];
    const r = await verifyTree({ tree, images: ['core-app'], env: {}, onProgress: (l) => progress.push(l) }).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${progress.join('\n')}`);
    });
    assert.equal(r.ok, false);
    const app = r.images.find((i) => i.image === 'core-app')!;
    assert.equal(app.status, 'mismatch');
    assert.match(app.note!, /is not in the store; compared with the store's current core-app/);
    assert.equal(app.comparison!.identical, true, 'the store holds exactly what was rebuilt: the digests file is stale');
    const bb = r.images.find((i) => i.image === 'core-busybox')!;
    assert.equal(bb.status, 'not-recorded');
    assert.equal(bb.expected, undefined);
  } finally {
    writeFileSync(file, digestsBefore);
  }
});
