/**
 * SIGKILL at many points of a build (issue 3 "Bad input and faults"): a build of a small
 * multi-image tree is killed (the whole process group, so the sandbox dies too) after a
 * delay drawn from a seeded RNG over the duration of an uninterrupted build; then the
 * store is checked, the tree rebuilt and the store checked again. Every time: fsck finds
 * no damage (only debris of the dead process, which gc clears), every ref names a
 * complete image with the digest of the uninterrupted build, the digests files are whole
 * and right, and the rebuild gives exactly the uninterrupted build's digests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fsckStore } from '../../store/fsck.js';
import { statePaths } from '../state.js';
import { tempDir } from '../testsupport/busybox-tree.js';
import { damage, digestLines, makeLayeredTree, readDigestFiles, runCli, seededRandom, startCli, storeRefs } from './support.js';

const KILL_POINTS = 16;

test(`SIGKILL at ${KILL_POINTS} seeded random points of a build: store intact, no partial image, rebuild gives the same digests, gc clears the debris`, async (t) => {
  const tree = makeLayeredTree();
  const stores = tempDir('strata-kill-stores-');
  const buildArgs = (store: string, ...extra: string[]): string[] => ['build', '--all', '--jobs', '2', '--tree', tree, '--store', store, ...extra];

  // the uninterrupted reference build
  const refStore = path.join(stores, 'reference');
  const started = Date.now();
  const ref = await runCli(buildArgs(refStore));
  const duration = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const refFiles = readDigestFiles(tree);
  const refDigests = digestLines(refFiles);
  assert.deepEqual([...refDigests.keys()].sort(), ['core-a', 'core-b', 'core-busybox', 'core-c', 'user-d']);
  assert.deepEqual(await storeRefs(refStore), refDigests);

  const random = seededRandom(0x5742a7a);
  const used = new Set<string>();
  let shared = path.join(stores, 'shared');
  let killed = 0;
  for (let i = 0; i < KILL_POINTS; i++) {
    // every third point starts from an empty store (cold path: first puts, extractions);
    // the others rebuild everything (--no-cache) into a store that already holds it
    const fresh = i % 3 === 0;
    const store = fresh ? path.join(stores, `fresh-${i}`) : shared;
    if (fresh) rmSync(path.join(tree, 'digests'), { recursive: true, force: true });
    used.add(store);
    const delay = Math.round(duration * (0.02 + 0.98 * random()));
    const run = startCli(buildArgs(store, ...(fresh ? [] : ['--no-cache'])));
    const timer = setTimeout(run.kill, delay);
    const exit = await run.done;
    clearTimeout(timer);
    const what = `kill point ${i} (${fresh ? 'fresh store' : 'shared store, --no-cache'}, after ${delay} ms)`;
    if (exit.signal === 'SIGKILL') killed++;
    else assert.equal(exit.code, 0, `${what}: the build finished before the kill but failed: ${exit.stderr}`);

    // right after the kill
    assert.deepEqual(await damage(store), [], `${what}: fsck finds damage`);
    for (const [image, hex] of await storeRefs(store)) {
      assert.equal(hex, refDigests.get(image), `${what}: ref ${image} names an image other than the uninterrupted build's`);
    }
    for (const [image, hex] of digestLines(readDigestFiles(tree))) {
      assert.equal(hex, refDigests.get(image), `${what}: digests line of ${image}`);
    }

    // the rebuild
    const again = await runCli(buildArgs(store, ...(i % 4 === 1 ? ['--no-cache'] : [])));
    assert.equal(again.code, 0, `${what}: rebuild failed: ${again.stderr}`);
    assert.deepEqual(readDigestFiles(tree), refFiles, `${what}: rebuild digests differ`);
    assert.deepEqual(await storeRefs(store), refDigests, `${what}: refs after the rebuild`);
    assert.deepEqual(await damage(store), [], `${what}: fsck after the rebuild`);
    if (i === Math.floor(KILL_POINTS / 2)) shared = path.join(stores, 'shared-2');
  }
  t.diagnostic(`reference build ${duration} ms; ${killed} of ${KILL_POINTS} builds were killed before they finished`);

  // gc clears every leftover of the killed builds; fsck is then clean
  for (const store of used) {
    const gc = await runCli(['gc', '--store', store, '--grace', '0']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = await fsckStore(store);
    assert.deepEqual(report.problems, [], `fsck after gc of ${store}`);
    const st = statePaths(store);
    assert.deepEqual(readdirSync(st.work), [], `${store}: scratch of killed builds`);
    assert.ok(!existsSync(path.join(st.layers, 'tmp')) || readdirSync(path.join(st.layers, 'tmp')).length === 0, `${store}: interrupted extractions`);
    assert.deepEqual(readdirSync(path.join(store, 'tmp')), [], `${store}: temp files`);
    const fsck = await runCli(['fsck', '--store', store]);
    assert.equal(fsck.code, 0, fsck.stderr);
  }
});
