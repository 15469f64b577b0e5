/**
 * Integration: what a no-change rebuild touches (ADR 0147) — nothing in digests/ or
 * index.json, no scratch left, and the log of the build that made the image keeps it,
 * gaining one `cached:` line; a change still rewrites the digests line under the lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTree } from './build.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

function identity(file: string): string {
  const st = statSync(file, { bigint: true });
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

test('no-change rebuild: digests file and index.json untouched, log keeps the build and gains one cached line', async () => {
  const tree = makeBusyboxTree('strata-rebuild-fast-');
  const app = addPackage(tree, 'core', 'app', 'FROM stagex/core-busybox\nCOPY f.txt /f.txt\n', { 'f.txt': 'one\n' });
  const store = path.join(tempDir('strata-rebuild-fast-store-'), 'store');
  const build = () => buildTree({ tree, store, images: ['core-app'] });
  const first = await build();
  const digests = path.join(tree, 'digests', 'core.txt');
  const index = path.join(store, 'index.json');
  const before = { digests: identity(digests), index: identity(index) };
  const log = first.results.find((r) => r.image === 'core-app')!.log;
  const built = readFileSync(log, 'utf8');
  assert.match(built, /^#1 COPY f\.txt \/f\.txt$/m);
  assert.match(built, /^built: sha256:/m);

  for (let i = 0; i < 2; i++) {
    const again = await build();
    assert.ok(again.results.every((r) => r.cached));
  }
  assert.equal(identity(digests), before.digests, 'digests/core.txt not rewritten');
  assert.equal(identity(index), before.index, 'index.json not rewritten');
  const text = readFileSync(log, 'utf8');
  assert.ok(text.startsWith(built), 'the log of the build that made the image is kept');
  assert.equal(text.slice(built.length).match(/^cached: sha256:[0-9a-f]{64} \(key [0-9a-f]{64}\)$/gm)?.length, 1, text);
  assert.deepEqual(readdirSync(path.join(store, 'strata', 'work')), [], 'no scratch left');
  assert.deepEqual(readdirSync(path.join(tree, 'digests')).sort(), ['core.txt']);

  // a change still updates the line (through the lock) and the index
  writeFileSync(path.join(app, 'f.txt'), 'two\n');
  const changed = await build();
  const r = changed.results.find((x) => x.image === 'core-app')!;
  assert.equal(r.cached, false);
  assert.notEqual(identity(digests), before.digests);
  assert.match(readFileSync(digests, 'utf8'), new RegExp(`^${r.digest.slice('sha256:'.length)} core-app$`, 'm'));
  assert.notEqual(identity(index), before.index);
});
