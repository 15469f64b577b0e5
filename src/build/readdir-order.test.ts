/**
 * The readdir-order hook (BuildOptions.readdirOrder): listings taken in reverse before
 * sorting change nothing — not the context listing, not the image digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTree } from './build.js';
import { ContextFs, listContext } from './context.js';
import { addPackage, tempDir } from './testsupport/busybox-tree.js';

function contextDir(): string {
  const dir = tempDir('strata-readdir-ctx-');
  for (const n of ['b', 'a', 'é', 'Z', 'a.b', 'a-b']) writeFileSync(path.join(dir, n), `${n}\n`);
  mkdirSync(path.join(dir, 'd'));
  for (const n of ['y', 'x']) writeFileSync(path.join(dir, 'd', n), n);
  return dir;
}

test('ContextFs: reverse readdir order gives the same sorted listing', async () => {
  const dir = contextDir();
  const native = new ContextFs(dir, []);
  const reverse = new ContextFs(dir, [], 'reverse');
  assert.deepEqual(reverse.list(''), native.list(''));
  assert.deepEqual(native.list(''), ['Z', 'a', 'a-b', 'a.b', 'b', 'd', 'é']);
  assert.deepEqual(await listContext(reverse), await listContext(native));
});

test('buildTree: readdirOrder reverse builds the same digest', async () => {
  const tree = tempDir('strata-readdir-tree-');
  writeFileSync(path.join(tree, 'strata.toml'), 'namespace = "stagex"\n');
  const pkg = addPackage(tree, 'core', 'files', 'FROM scratch\nCOPY . /ctx/\n');
  for (const n of ['b', 'a', 'c']) writeFileSync(path.join(pkg, n), n);
  const digest = async (readdirOrder: 'native' | 'reverse') => {
    const store = path.join(tempDir('strata-readdir-store-'), 'store');
    const r = await buildTree({ tree, store, images: ['core-files'], noCache: true, readdirOrder });
    return r.results[0]!.digest;
  };
  assert.equal(await digest('reverse'), await digest('native'));
});
