/**
 * Integration: owners and modes of the directories WORKDIR and COPY create, checked
 * against the rules of BuildKit and buildah (ADR 0145): WORKDIR's directories belong to
 * the USER at the WORKDIR instruction (a numeric user without a group: gid = uid); the
 * parents a COPY creates get the --chown owner and the --chmod mode; existing
 * directories keep theirs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTree } from './build.js';
import type { LayeredFs } from './layered-fs.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';
import { imageView } from './testsupport/inspect.js';

const CF = `FROM stagex/core-busybox
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
USER 1000
WORKDIR /wd-uid
USER 1000:100
WORKDIR /wd-uid-gid/sub
USER app
WORKDIR /wd-name
USER 0
WORKDIR /wd-root/deep
WORKDIR /etc
RUN true
COPY --chown=1000:1000 f.txt /owned/by-number.txt
COPY --chown=7 f.txt /owned-uid/a/b.txt
COPY --chown=1000:1000 f.txt /etc/kept-owner.txt
COPY --chmod=0750 f.txt /modes/f.txt
COPY --chown=5:6 --chmod=0700 tree /tree-owned/
COPY --chown=5:6 --chmod=0700 tree /made/parents/of/tree
COPY f.txt /plain/dir/f.txt
ADD t.tar /unpacked/here/
WORKDIR /late
USER 1000
`;

let store: string;
let view: LayeredFs;

before(async () => {
  const tree = makeBusyboxTree('strata-parity-');
  const dir = addPackage(tree, 'core', 'parity', CF, { 'f.txt': 'f\n', 'tree/nested/n.txt': 'n\n', 'tree/top.txt': 't\n' });
  const src = tempDir('strata-parity-tar-');
  mkdirSync(path.join(src, 'in'));
  writeFileSync(path.join(src, 'in', 'x.txt'), 'x\n');
  execFileSync('tar', ['-cf', path.join(dir, 't.tar'), '-C', src, 'in']);
  store = path.join(tempDir('strata-parity-store-'), 'store');
  await buildTree({ tree, store, images: ['core-parity'] });
  view = await imageView(store, 'core-parity');
});

function owner(rel: string): string {
  const n = view.node(rel);
  assert.ok(n, `/${rel} exists`);
  return `${n.uid}:${n.gid} ${n.mode.toString(8).padStart(4, '0')}`;
}

test('WORKDIR: owner is the USER at the WORKDIR instruction, gid = uid for a bare numeric user', () => {
  assert.equal(owner('wd-uid'), '1000:1000 0755');
  assert.equal(owner('wd-uid-gid'), '1000:100 0755');
  assert.equal(owner('wd-uid-gid/sub'), '1000:100 0755');
  assert.equal(owner('wd-name'), '1000:1000 0755');
  assert.equal(owner('wd-root'), '0:0 0755');
  assert.equal(owner('wd-root/deep'), '0:0 0755');
  // an existing directory keeps its owner
  assert.equal(owner('etc'), '0:0 0755');
  // a WORKDIR at the end of the stage, followed by USER 1000: created as root
  assert.equal(owner('late'), '0:0 0755');
});

test('COPY --chown: parents the COPY creates get the --chown owner, existing ones keep theirs', () => {
  assert.equal(owner('owned'), '1000:1000 0755');
  assert.equal(owner('owned/by-number.txt'), '1000:1000 0644');
  assert.equal(owner('owned-uid'), '7:7 0755');
  assert.equal(owner('owned-uid/a'), '7:7 0755');
  assert.equal(owner('etc/kept-owner.txt'), '1000:1000 0644');
  assert.equal(owner('etc'), '0:0 0755');
  assert.equal(owner('plain'), '0:0 0755');
  assert.equal(owner('plain/dir'), '0:0 0755');
});

test('COPY --chmod: directories the COPY creates get the --chmod mode (BuildKit), contents too', () => {
  assert.equal(owner('modes'), '0:0 0750');
  assert.equal(owner('modes/f.txt'), '0:0 0750');
  assert.equal(owner('tree-owned'), '5:6 0700');
  assert.equal(owner('tree-owned/nested'), '5:6 0700');
  assert.equal(owner('tree-owned/nested/n.txt'), '5:6 0700');
  assert.equal(owner('tree-owned/top.txt'), '5:6 0700');
  assert.equal(owner('made'), '5:6 0700');
  assert.equal(owner('made/parents/of'), '5:6 0700');
  assert.equal(owner('made/parents/of/tree'), '5:6 0700');
});

test('ADD of an archive into a new directory: created 0755 0:0, entries keep their own modes', () => {
  assert.equal(owner('unpacked'), '0:0 0755');
  assert.equal(owner('unpacked/here'), '0:0 0755');
  assert.equal(view.node('unpacked/here/in/x.txt')?.kind, 'file');
});
