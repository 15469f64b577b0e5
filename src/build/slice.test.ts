import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTree } from './build.js';
import { addPackage, makeBusyboxTree } from './testsupport/busybox-tree.js';

test('thin slice: FROM scratch + COPY + RUN on busybox, then a dependent image; store, digests, skopeo', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'app', 'FROM stagex/core-busybox\nCOPY hello.txt /hello.txt\nRUN echo hi > /made && cat /hello.txt >> /made\n', { 'hello.txt': 'hello\n' });
  const report = await buildTree({ tree, images: ['core-app'] });
  assert.deepEqual(report.results.map((r) => r.image).sort(), ['core-app', 'core-busybox']);
  const digests = readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8');
  const lines = digests.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^[0-9a-f]{64} core-app$/);
  assert.match(lines[1]!, /^[0-9a-f]{64} core-busybox$/);
  const out = execFileSync('skopeo', ['inspect', `oci:${report.store}:core-app`], { encoding: 'utf8' });
  const info = JSON.parse(out) as { Digest: string; Layers: string[]; Architecture: string };
  assert.equal(info.Digest, `sha256:${lines[0]!.slice(0, 64)}`);
  assert.equal(info.Layers.length, 4);
  assert.equal(info.Architecture, 'amd64');
});
