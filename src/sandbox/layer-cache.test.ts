import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureLayerDir, layerDirPath } from './layer-cache.js';
import { tempDir, cleanupTempDirs } from './test-fixtures.js';

after(cleanupTempDirs);

const D = `sha256:${'ab'.repeat(32)}`;

test('a layer is extracted once and reused', async () => {
  const root = tempDir('strata-layers-');
  let calls = 0;
  const extract = async (dir: string) => {
    calls++;
    writeFileSync(path.join(dir, 'f'), 'content');
  };
  const [a, b] = await Promise.all([ensureLayerDir(root, D, extract), ensureLayerDir(root, D, extract)]);
  const c = await ensureLayerDir(root, D, extract);
  assert.equal(a, layerDirPath(root, D));
  assert.equal(b, a);
  assert.equal(c, a);
  assert.ok(calls >= 1 && calls <= 2);
  assert.equal(readFileSync(path.join(a, 'f'), 'utf8'), 'content');
  assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
});

test('a failed extraction leaves nothing under the digest', async () => {
  const root = tempDir('strata-layers-');
  await assert.rejects(
    ensureLayerDir(root, D, async (dir) => {
      writeFileSync(path.join(dir, 'half'), '');
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(existsSync(layerDirPath(root, D)), false);
  assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
});

test('a malformed digest is an input error', () => {
  assert.throws(() => layerDirPath('/x', 'sha256:ABC'), { code: 'sandbox/bad-digest' });
  assert.throws(() => layerDirPath('/x', `sha256:${'a'.repeat(63)}/`), { code: 'sandbox/bad-digest' });
});
