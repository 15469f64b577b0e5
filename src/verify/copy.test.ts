import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, opendirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyTree, probeListingOrder } from './verify.js';

function rawOrder(dir: string): string[] {
  const d = opendirSync(dir);
  const out: string[] = [];
  for (let e = d.readSync(); e; e = d.readSync()) out.push(e.name);
  d.closeSync();
  return out;
}

test('copyTree: skips .strata and .git at the root, keeps symlinks, applies the umask to modes', async () => {
  const src = mkdtempSync(path.join(os.tmpdir(), 'strata-verify-copysrc-'));
  const dst = path.join(mkdtempSync(path.join(os.tmpdir(), 'strata-verify-copydst-')), 'tree');
  try {
    mkdirSync(path.join(src, 'packages', 'core', 'x'), { recursive: true });
    writeFileSync(path.join(src, 'packages', 'core', 'x', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(src, 'packages', 'core', 'x', 'data'), 'd', { mode: 0o644 });
    symlinkSync('data', path.join(src, 'packages', 'core', 'x', 'link'));
    mkdirSync(path.join(src, '.strata', 'store'), { recursive: true });
    mkdirSync(path.join(src, '.git'));
    mkdirSync(path.join(src, 'packages', 'core', 'x', '.git'));
    await copyTree(src, dst, { reverse: true, umask: 0o077 });
    assert.equal(existsSync(path.join(dst, '.strata')), false);
    assert.equal(existsSync(path.join(dst, '.git')), false);
    assert.equal(existsSync(path.join(dst, 'packages', 'core', 'x', '.git')), true, 'only the root .git is skipped');
    assert.equal(statSync(path.join(dst, 'packages', 'core', 'x', 'run.sh')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dst, 'packages', 'core', 'x', 'data')).mode & 0o777, 0o600);
    assert.equal(lstatSync(path.join(dst, 'packages', 'core', 'x', 'link')).isSymbolicLink(), true);
    assert.equal(readlinkSync(path.join(dst, 'packages', 'core', 'x', 'link')), 'data');
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(path.dirname(dst), { recursive: true, force: true });
  }
});

test('probeListingOrder and the copy order: on a creation-ordered file system the raw listing comes out reversed', async () => {
  for (const place of [os.tmpdir(), '/dev/shm']) {
    if (!existsSync(place)) continue;
    const order = await probeListingOrder(place);
    assert.ok(['creation', 'reverse-creation', 'hashed'].includes(order));
    if (order === 'hashed') continue;
    const src = mkdtempSync(path.join(os.tmpdir(), 'strata-verify-copysrc-'));
    const dstBase = mkdtempSync(path.join(place, 'strata-verify-copydst-'));
    try {
      for (const n of ['a', 'b', 'c', 'd', 'e']) writeFileSync(path.join(src, n), n);
      await copyTree(src, path.join(dstBase, 't'), { reverse: order === 'creation', umask: 0 });
      assert.deepEqual(rawOrder(path.join(dstBase, 't')), ['e', 'd', 'c', 'b', 'a'], place);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(dstBase, { recursive: true, force: true });
    }
  }
});
