/**
 * Faults other than SIGKILL (issue 3 "Bad input and faults"): a full disk mid-build, two
 * builds on one store at once, and fsck catching damage to a store a build wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fsckStore } from '../../store/fsck.js';
import { OciStore } from '../../store/store.js';
import { addPackage, tempDir } from '../testsupport/busybox-tree.js';
import { damage, digestLines, makeLayeredTree, readDigestFiles, runCli, startCli, storeRefs } from './support.js';

function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-mount-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status !== 0) return false;
    spawnSync('umount', [dir]);
    return true;
  } finally {
    rmdirSync(dir);
  }
}

const codes = (ps: readonly { code: string }[]): string[] => ps.map((p) => p.code).sort();

test('a full disk mid-build: a clear error, exit 1, nothing partial referenced, store not corrupt', { skip: !canMountTmpfs() && 'needs root and mount -t tmpfs' }, async () => {
  const tree = makeLayeredTree('strata-full-tree-');
  addPackage(tree, 'core', 'copybig', 'FROM stagex/core-busybox\nCOPY big.bin /big.bin\n', { 'big.bin': Buffer.alloc(12 << 20, 7) });
  addPackage(tree, 'core', 'runbig', 'FROM stagex/core-a\nRUN dd if=/dev/zero of=/big bs=64k count=200 && echo never\n');
  const mnt = tempDir('strata-full-mnt-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  try {
    const store = path.join(mnt, 'store');
    const base = await runCli(['build', '--tree', tree, '--store', store, 'core-a']);
    assert.equal(base.code, 0, base.stderr);
    const before = await storeRefs(store);

    // the disk fills while strata itself writes (COPY into the upper directory)
    const copy = await runCli(['build', '--tree', tree, '--store', store, 'core-copybig']);
    assert.equal(copy.code, 1, copy.stderr);
    assert.match(copy.stderr, /store: building core-copybig: no space left on the device holding the store — free space \(or run 'strata gc'\), then build again/);
    assert.doesNotMatch(copy.stderr, /internal error/);

    // the disk fills while a RUN writes in the sandbox
    const run = await runCli(['build', '--tree', tree, '--store', store, 'core-runbig']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /runbig\/Containerfile:2:1: RUN exited with status 1: the file system holding the store is full — free space/);
    assert.match(readFileSync(path.join(store, 'strata', 'logs', 'core-runbig.log'), 'utf8'), /No space left on device/);

    assert.deepEqual(await storeRefs(store), before, 'no new (partial) image referenced');
    assert.deepEqual(await damage(store), []);
    assert.deepEqual(readdirSync(path.join(store, 'strata', 'work')), [], 'scratch removed after the failures');
    const again = await runCli(['build', '--tree', tree, '--store', store, 'core-c']);
    assert.equal(again.code, 0, `the store still builds after the disk was full: ${again.stderr}`);
    const gc = await runCli(['gc', '--store', store, '--grace', '0']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual((await fsckStore(store)).problems, []);
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test('two strata build processes on one store at once: both succeed, fsck clean, digests files whole with every line', async () => {
  const tree = makeLayeredTree('strata-two-tree-');
  const refStore = path.join(tempDir('strata-two-ref-'), 'store');
  const ref = await runCli(['build', '--all', '--tree', tree, '--store', refStore]);
  assert.equal(ref.code, 0, ref.stderr);
  const refFiles = readDigestFiles(tree);
  const refDigests = digestLines(refFiles);

  for (const round of [0, 1]) {
    const store = path.join(tempDir('strata-two-store-'), 'store');
    execFileSync('rm', ['-rf', path.join(tree, 'digests')]);
    // round 0: both build everything; round 1: overlapping halves, so each writes lines the other does not
    const [x, y] = round === 0 ? [['--all'], ['--all']] : [['core-c', 'user-d'], ['core-b', 'core-c']];
    const a = startCli(['build', '--tree', tree, '--store', store, ...x!]);
    const b = startCli(['build', '--tree', tree, '--store', store, ...y!]);
    const [ea, eb] = await Promise.all([a.done, b.done]);
    for (const e of [ea, eb]) {
      assert.ok(e.code === 0 || e.code === 1, `round ${round}: a build failed uncleanly: ${e.stderr}`);
      assert.doesNotMatch(e.stderr, /internal error/);
    }
    assert.ok(ea.code === 0 || eb.code === 0, `round ${round}: neither build succeeded: ${ea.stderr}\n${eb.stderr}`);
    assert.deepEqual((await fsckStore(store)).problems, [], `round ${round}: fsck`);
    const files = readDigestFiles(tree);
    const lines = digestLines(files);
    for (const [image, hex] of lines) assert.equal(hex, refDigests.get(image), `round ${round}: line of ${image}`);
    for (const [image, hex] of await storeRefs(store)) {
      assert.equal(hex, refDigests.get(image), `round ${round}: ref ${image}`);
      assert.equal(lines.get(image), hex, `round ${round}: ${image} is in the store but its digests line was lost`);
    }
    if (ea.code === 0 && eb.code === 0 && round === 0) assert.deepEqual(files, refFiles);
    assert.deepEqual(readdirSync(path.join(tree, 'digests')).filter((n) => !n.endsWith('.txt')), [], 'no lock or temp file left in digests/');
  }
});

test('digests files: four processes setting 30 lines each in one file lose none (cross-process lock)', async () => {
  const tree = tempDir('strata-digests-lock-');
  const module = new URL('../digests-file.js', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(module)});
const [tree, k] = process.argv.slice(1);
for (let i = 0; i < 30; i++) await m.updateDigestsFile(tree, 'core', 'core-p' + k + '-' + String(i).padStart(2, '0'), (k + String(i)).padEnd(64, 'a').slice(0, 64).replace(/[^0-9a-f]/g, 'b'));`;
  const writers = [0, 1, 2, 3].map((k) => new Promise<number | null>((resolve) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script, tree, String(k)], { stdio: 'inherit' });
    c.on('close', resolve);
  }));
  assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
  const lines = digestLines(readDigestFiles(tree));
  assert.equal(lines.size, 120);
  assert.deepEqual(readdirSync(path.join(tree, 'digests')), ['core.txt']);
});

test('fsck over a built store catches a flipped blob byte, a missing blob, a truncated index.json and a stray temp file', async () => {
  const tree = makeLayeredTree('strata-fsck-tree-');
  const store = path.join(tempDir('strata-fsck-store-'), 'store');
  const built = await runCli(['build', '--tree', tree, '--store', store, 'core-a']);
  assert.equal(built.code, 0, built.stderr);
  const fsck = async (): Promise<{ code: number | null; problems: string[] }> => {
    const child = await runCli(['fsck', '--store', store, '--json']);
    const report = JSON.parse(child.stdout) as { problems: { code: string }[] };
    return { code: child.code, problems: codes(report.problems) };
  };
  assert.deepEqual(await fsck(), { code: 0, problems: [] });
  const s = await OciStore.open(store);
  const m = await s.readManifest((await s.resolveRef('core-a'))!.digest);
  const layer = s.blobPath(m.layers[m.layers.length - 1]!.digest);
  const orig = readFileSync(layer);

  const flipped = Buffer.from(orig);
  flipped[flipped.length >> 1]! ^= 0x01;
  writeFileSync(layer, flipped);
  assert.deepEqual(await fsck(), { code: 1, problems: ['store/corrupt-blob'] });
  const cli = await runCli(['fsck', '--store', store]);
  assert.equal(cli.code, 1);
  assert.match(cli.stdout, new RegExp(`${path.basename(layer)}: content hashes to sha256:[0-9a-f]{64} \\[store/corrupt-blob\\] — delete the blob`));

  unlinkSync(layer);
  assert.deepEqual(await fsck(), { code: 1, problems: ['store/missing-blob'] });
  writeFileSync(layer, orig);

  const index = path.join(store, 'index.json');
  const indexBytes = readFileSync(index);
  truncateSync(index, indexBytes.length >> 1);
  assert.deepEqual(await fsck(), { code: 1, problems: ['store/bad-index'] });
  writeFileSync(index, indexBytes);

  const dead = spawnSync('true').pid!;
  writeFileSync(path.join(store, 'tmp', `${dead}-00ff00ff.blob`), 'half a layer');
  assert.deepEqual(await fsck(), { code: 1, problems: ['store/temp-leftover'] });
  const gc = await runCli(['gc', '--store', store]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.deepEqual(await fsck(), { code: 0, problems: [] });
  const again = await runCli(['build', '--tree', tree, '--store', store, 'core-b']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await damage(store), []);
});
