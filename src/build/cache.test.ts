/**
 * Integration: the build cache. Changing each input in turn forces a rebuild; touching
 * mtimes, non-execute mode bits or moving the tree does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OciStore } from '../store/store.js';
import { buildTree } from './build.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

function touchAll(dir: string, t: number): void {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (n === '.strata') continue;
    if (statSync(p).isDirectory()) touchAll(p, t);
    utimesSync(p, t, t);
  }
}

test('cache: each input forces a rebuild; mtimes, other mode bits and moving the tree do not', async () => {
  const store = path.join(tempDir('strata-cache-store-'), 'store');
  const sources = tempDir('strata-cache-src-');
  const srcFile = path.join(sources, 's.txt');
  writeFileSync(srcFile, 'source one\n');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  let tree = makeBusyboxTree();
  const srcToml = (content: string) => `[sources.s]\nhash = "${sha(content)}"\nmirrors = ["${pathToFileURL(srcFile).href}"]\nfile = "s.txt"\n`;
  let app = addPackage(tree, 'core', 'app', 'FROM stagex/core-busybox\nCOPY f fetch/s.txt /\n', { f: 'one\n' }, srcToml('source one\n'));
  const cacheDir = path.join(tempDir('strata-cache-sources-'), 'c');

  const build = async () => {
    const r = await buildTree({ tree, store, images: ['core-app'], sourceCache: cacheDir });
    const get = (n: string) => r.results.find((x) => x.image === n)!;
    return { app: get('core-app'), base: get('core-busybox') };
  };
  const first = await build();
  assert.equal(first.app.cached, false);
  let prev = await build();
  assert.equal(prev.app.cached, true);
  assert.equal(prev.app.digest, first.app.digest);

  const expectCached = async (why: string) => {
    const r = await build();
    assert.equal(r.app.cached, true, why);
    assert.equal(r.app.digest, prev.app.digest, why);
    prev = r;
  };
  const expectRebuild = async (why: string) => {
    const r = await build();
    assert.equal(r.app.cached, false, why);
    prev = await build();
    assert.equal(prev.app.cached, true, `${why}: cached on the second build`);
  };

  touchAll(tree, Math.floor(Date.now() / 1000) + 1000);
  await expectCached('touched mtimes');
  chmodSync(path.join(app, 'f'), 0o600);
  await expectCached('group/other mode bits');
  const moved = path.join(tempDir('strata-cache-moved-'), 'tree');
  cpSync(tree, moved, { recursive: true });
  tree = moved;
  app = path.join(tree, 'packages', 'core', 'app');
  await expectCached('moved tree');

  appendFileSync(path.join(app, 'Containerfile'), '# comment\n');
  await expectRebuild('Containerfile');
  appendFileSync(path.join(app, 'package.toml'), '\n# comment\n');
  await expectRebuild('package.toml');
  writeFileSync(path.join(app, 'f'), 'two\n');
  await expectRebuild('context content');
  chmodSync(path.join(app, 'f'), 0o755);
  await expectRebuild('context execute bit');
  writeFileSync(srcFile, 'source two\n');
  writeFileSync(path.join(app, 'package.toml'), `[package]\nname = "app"\nversion = "1.0"\n${srcToml('source two\n')}`);
  await expectRebuild('source hash');
  appendFileSync(path.join(tree, 'packages', 'core', 'busybox', 'Containerfile'), 'ENV CHANGED=1\n');
  await expectRebuild('dependency digest');
  writeFileSync(path.join(tree, 'packages', 'core', 'app', 'package.toml'), `[package]\nname = "app"\nversion = "2.0"\n${srcToml('source two\n')}`);
  await expectRebuild('build args (VERSION)');
  writeFileSync(path.join(tree, 'strata.toml'), 'namespace = "stagex"\nplatform = "linux/386"\n');
  await expectRebuild('platform');
  const s = await OciStore.open(store);
  const m = await s.readManifest((await s.resolveRef('core-app'))!.digest);
  assert.equal((await s.readConfig(m.config.digest)).architecture, '386');
});
