/**
 * Interop: every Containerfile of testdata/buildah-corpus/ is built by strata and by
 * buildah (`--timestamp 0 --isolation chroot`, base image handed over as the OCI layout
 * strata exported) and the final file systems must agree — files, modes, owners, link
 * targets, hardlinks, contents — plus the runtime config, ignoring exactly buildah's known
 * additions (compare.ts, docs/adr/0130). A case's open-differences.txt lists strata
 * divergences reported to the builder and not yet fixed: the differences must be exactly
 * those. Skipped when buildah is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OciStore } from '../../store/store.js';
import { exportImage } from '../../store/export.js';
import { testdata } from '../../testutil/paths.js';
import { buildTree } from '../build.js';
import { makeBusyboxTree, tempDir } from '../testsupport/busybox-tree.js';
import { Buildah, buildahVersion } from './buildah.js';
import { compareImages } from './compare.js';
import { buildahFlags, copyCase, corpusCases, openDifferences } from './corpus.js';
import { flattenLayout } from './flatten.js';

const CORPUS = testdata('buildah-corpus');
const cases = corpusCases(CORPUS);
const version = buildahVersion();
const skip = version ? false : 'buildah is not installed (apt-get install -y buildah); the interop corpus needs it';

let work: string;
let tree: string;
let buildah: Buildah | undefined;
const strataErrors = new Map<string, unknown>();
const buildahErrors = new Map<string, unknown>();

before(async () => {
  if (skip) return;
  work = tempDir('strata-buildah-interop-');
  tree = makeBusyboxTree('strata-buildah-corpus-');
  for (const c of cases) {
    const dir = path.join(tree, 'packages', 'user', c);
    copyCase(CORPUS, c, dir);
    writeFileSync(path.join(dir, 'package.toml'), `[package]\nname = "${c}"\nversion = "1.0"\n`);
  }
  const base = await buildTree({ tree, images: ['core-busybox'] });
  const store = await OciStore.open(base.store);
  await exportImage(store, 'core-busybox', path.join(work, 'base'));
  mkdirSync(path.join(work, 'strata'));
  for (const c of cases) {
    try {
      await buildTree({ tree, images: [`user-${c}`] });
      await exportImage(store, `user-${c}`, path.join(work, 'strata', c));
    } catch (e) {
      strataErrors.set(c, e);
    }
  }
  buildah = new Buildah(path.join(work, 'buildah-storage'));
  buildah.importLayout(path.join(work, 'base'), 'core-busybox', 'docker.io/stagex/core-busybox:latest');
  for (const c of cases) {
    const dir = path.join(tree, 'packages', 'user', c);
    try {
      const containerfile = path.join(dir, 'Containerfile');
      const flags = buildahFlags(readFileSync(containerfile, 'utf8'));
      buildah.build({ containerfile, context: dir, tag: `localhost/corpus-${c}:latest`, flags });
      buildah.pushLayout(`localhost/corpus-${c}:latest`, path.join(work, 'buildah', c), c);
    } catch (e) {
      buildahErrors.set(c, e);
    }
  }
});

after(() => {
  if (skip) return;
  buildah?.destroy();
  rmSync(work, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
});

test('the corpus has about ten cases', () => {
  assert.ok(cases.length >= 10, cases.join(', '));
});

for (const c of cases) {
  test(`buildah interop: ${c}`, { skip }, async () => {
    const se = strataErrors.get(c);
    assert.equal(se, undefined, `strata failed to build ${c}: ${String(se)}`);
    const be = buildahErrors.get(c);
    assert.equal(be, undefined, `buildah failed to build ${c}: ${String(be)}`);
    const s = await flattenLayout(path.join(work, 'strata', c));
    const b = await flattenLayout(path.join(work, 'buildah', c), c);
    assert.ok(s.entries.size > 200, 'the strata image has the busybox base');
    const diffs = compareImages(s, b).map((d) => `${d.path}: ${d.what}`);
    const open = openDifferences(CORPUS, c);
    const fixed = open.filter((d) => !diffs.includes(d));
    assert.deepEqual(fixed, [], `listed in ${c}/open-differences.txt but no longer seen: delete these lines`);
    assert.deepEqual(diffs, open, `strata (left) vs buildah ${version} (right) differ for ${c}`);
  });
}
