/**
 * Integration: an image deeper than one overlay mount's option string allows (StageX
 * stages stack over 130 layers) still builds, and a RUN on top sees every layer. The
 * layers are tiny COPY steps (no sandbox), so the test stays quick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OciStore } from '../store/store.js';
import { buildTree } from './build.js';
import { addPackage, makeBusyboxTree } from './testsupport/busybox-tree.js';
import { imageView } from './testsupport/inspect.js';

const DEPTH = 140;

test(`a RUN over ${DEPTH} + 2 layers sees all of them`, async () => {
  const tree = makeBusyboxTree('strata-deep-tree-');
  const files: Record<string, string> = {};
  const lines = ['FROM stagex/core-busybox'];
  for (let i = 0; i < DEPTH; i++) {
    files[`f${i}`] = `${i}\n`;
    lines.push(`COPY f${i} /deep/f${i}`);
  }
  lines.push('RUN cat /deep/f* | wc -l > /count && ls /deep | wc -l >> /count');
  addPackage(tree, 'core', 'deep', `${lines.join('\n')}\n`, files);
  const r = await buildTree({ tree, images: ['core-deep'] });
  const store = await OciStore.open(r.store);
  const m = await store.readManifest((await store.resolveRef('core-deep'))!.digest);
  assert.equal(m.layers.length, 2 + DEPTH + 1);
  const view = await imageView(r.store, 'core-deep');
  assert.deepEqual(readFileSync(view.node('count')!.abs, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean), [String(DEPTH), String(DEPTH)]);
});
