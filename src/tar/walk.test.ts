import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { walkDirectory } from './walk.js';
import { collectBytes, writeTarEntries } from './writer.js';

test('a walked directory archives to the same bytes as GNU tar --sort=name --mtime=@1 --owner=0 --group=0', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-walk-'));
  try {
    mkdirSync(path.join(dir, 'usr', 'lib'), { recursive: true });
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'usr', 'lib', 'libz.so.1'), Buffer.alloc(3000, 1));
    linkSync(path.join(dir, 'usr', 'lib', 'libz.so.1'), path.join(dir, 'usr', 'lib', 'libz.so.1.3'));
    symlinkSync('libz.so.1', path.join(dir, 'usr', 'lib', 'libz.so'));
    writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=strata\n');
    const entries = (await walkDirectory(dir)).map((e) => ({ ...e, uid: 0, gid: 0 }));
    const ours = await collectBytes(writeTarEntries(entries, { sourceDateEpoch: 1 }));
    const tops = readdirSync(dir).sort();
    const gnu = execFileSync('tar', ['--format=ustar', '--sort=name', '--mtime=@1', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', '-', ...tops]);
    assert.equal(Buffer.from(ours).toString('hex'), gnu.subarray(0, ours.length).toString('hex'));
    assert.ok(gnu.subarray(ours.length).every((b) => b === 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
