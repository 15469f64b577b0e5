/**
 * Integration: a COPY/ADD upper directory adopted as the layer directory (ADR 0146) is the
 * same, entry by entry, as extracting the stored layer blob — kinds, modes, owners, sizes,
 * contents, link targets, hardlink groups, mtimes and atimes — so a cold build and a warm
 * one stack later steps on identical lowers.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OciStore } from '../store/store.js';
import { buildTree } from './build.js';
import { layerDir, settleAsExtracted } from './layer.js';
import { statePaths } from './state.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

const CF = `FROM stagex/core-busybox AS base
RUN mkdir -p /from && echo one > /from/a && ln /from/a /from/b && ln -s a /from/c && chmod 4755 /from/a && touch -d 2100-01-01 /from/future
FROM stagex/core-busybox
COPY --chown=7:8 --chmod=0750 ctx /owned/deep/
COPY ctx/ /plain/
COPY --from=base /from /copied
ADD arch.tar /unpacked/
ADD arch.tar.gz /unpacked-gz
`;

let store: string;
let image: string[];

/** Every entry's metadata (all stats taken before any content is read, which would move atimes), then contents. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const files: [number, string][] = [];
  const inodes = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p, { bigint: true });
      const id = `${st.ino}`;
      const group = st.isFile() && st.nlink > 1n ? (inodes.get(id) ?? (inodes.set(id, r), r)) : '';
      const what = st.isFile() ? 'file' : st.isSymbolicLink() ? readlinkSync(p) : st.isDirectory() ? 'dir' : 'other';
      if (st.isFile()) files.push([out.length, p]);
      out.push(`${r} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} m=${st.mtimeNs} a=${st.atimeNs} nlink=${st.nlink} link=${group} ${what}`);
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
  for (const [i, p] of files) out[i] += ` ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`;
  return out;
}

before(async () => {
  const tree = makeBusyboxTree('strata-adopt-');
  const dir = addPackage(tree, 'core', 'adopt', CF, { 'ctx/x.txt': 'x\n', 'ctx/sub/y.sh': '#!/bin/sh\n' });
  // an archive with a future mtime, a sub-second one, a hardlink and a symlink
  const src = tempDir('strata-adopt-src-');
  mkdirSync(path.join(src, 'd'));
  writeFileSync(path.join(src, 'd', 'f'), 'f\n');
  linkSync(path.join(src, 'd', 'f'), path.join(src, 'd', 'g'));
  symlinkSync('f', path.join(src, 'd', 'l'));
  utimesSync(path.join(src, 'd', 'f'), 4102444800, 4102444800);
  writeFileSync(path.join(src, 'old'), 'old\n');
  utimesSync(path.join(src, 'old'), 0.75, 0.75);
  execFileSync('tar', ['--sort=name', '-cf', path.join(dir, 'arch.tar'), '-C', src, 'd', 'old']);
  execFileSync('sh', ['-c', `gzip -n -c "${path.join(dir, 'arch.tar')}" > "${path.join(dir, 'arch.tar.gz')}"`]);
  store = path.join(tempDir('strata-adopt-store-'), 'store');
  await buildTree({ tree, store, images: ['core-adopt'] });
  const s = await OciStore.open(store);
  const m = await s.readManifest((await s.resolveRef('core-adopt'))!.digest);
  const base = await s.readManifest((await s.resolveRef('core-busybox'))!.digest);
  image = m.layers.slice(base.layers.length).map((l) => l.digest);
});

test('every COPY/ADD layer directory equals a fresh extraction of its blob', async () => {
  const s = await OciStore.open(store);
  const m = await s.readManifest((await s.resolveRef('core-adopt'))!.digest);
  assert.equal(image.length, 5);
  const cache = statePaths(store).layers;
  for (const layer of m.layers.filter((l) => image.includes(l.digest))) {
    const adopted = path.join(cache, 'sha256', layer.digest.slice('sha256:'.length));
    const before = snapshot(adopted);
    assert.ok(before.length > 0);
    renameSync(adopted, `${adopted}.adopted`);
    const fresh = await layerDir(cache, s, layer);
    assert.equal(fresh, adopted);
    assert.deepEqual(snapshot(fresh), before, `layer ${layer.digest}`);
  }
});

test('settleAsExtracted refuses an upper holding a FIFO, changing nothing; settles a plain one', () => {
  const dir = tempDir('strata-adopt-fifo-');
  writeFileSync(path.join(dir, 'f'), 'f\n');
  utimesSync(path.join(dir, 'f'), 5_000_000_000, 5_000_000_000);
  execFileSync('mkfifo', [path.join(dir, 'p')]);
  assert.equal(settleAsExtracted(dir, 1), false);
  assert.equal(Number(lstatSync(path.join(dir, 'f')).mtimeMs), 5_000_000_000_000);
  const ok = tempDir('strata-adopt-ok-');
  writeFileSync(path.join(ok, 'f'), 'f\n');
  assert.equal(settleAsExtracted(ok, 1), true);
  assert.equal(lstatSync(path.join(ok, 'f')).mtimeMs, 1000);
});
