import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fsyncDir, replaceFileAtomically, writeSyncedTemp } from './atomic-file.js';

function withDir(f: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-atomic-'));
    try {
      await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('replaceFileAtomically puts the whole content in place (a new file, mode 0644) and leaves no temp file', withDir(async (dir) => {
  const file = path.join(dir, 'index.json');
  writeFileSync(file, 'old');
  const before = statSync(file).ino;
  await replaceFileAtomically(file, new TextEncoder().encode('new content'), { tmp: path.join(dir, 'x.tmp'), syncDir: dir });
  assert.equal(readFileSync(file, 'utf8'), 'new content');
  assert.notEqual(statSync(file).ino, before);
  assert.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask());
  await replaceFileAtomically(file, 'text too', { tmp: path.join(dir, 'y.tmp') });
  assert.equal(readFileSync(file, 'utf8'), 'text too');
  assert.deepEqual(readdirSync(dir), ['index.json']);
}));

test('an existing temp name is never overwritten, and the target stays as it was', withDir(async (dir) => {
  const file = path.join(dir, 'digests.txt');
  writeFileSync(file, 'old');
  writeFileSync(path.join(dir, 'busy.tmp'), 'someone else\'s');
  await assert.rejects(replaceFileAtomically(file, 'new', { tmp: path.join(dir, 'busy.tmp') }), { code: 'EEXIST' });
  assert.equal(readFileSync(file, 'utf8'), 'old');
  assert.equal(readFileSync(path.join(dir, 'busy.tmp'), 'utf8'), 'someone else\'s');
}));

test('a failed rename removes the temp file and gives the file system\'s error', withDir(async (dir) => {
  const target = path.join(dir, 'taken');
  mkdirSync(path.join(target, 'child'), { recursive: true });
  await assert.rejects(replaceFileAtomically(target, 'x', { tmp: path.join(dir, 'z.tmp') }), (e: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(e.code ?? ''));
  assert.deepEqual(readdirSync(dir), ['taken']);
}));

test('writeSyncedTemp: a complete temp file, or none and the error', withDir(async (dir) => {
  await writeSyncedTemp(path.join(dir, 'sig.tmp'), new Uint8Array([1, 2, 3]));
  assert.deepEqual([...readFileSync(path.join(dir, 'sig.tmp'))], [1, 2, 3]);
  await assert.rejects(writeSyncedTemp(path.join(dir, 'missing', 'sig.tmp'), 'x'), { code: 'ENOENT' });
  await fsyncDir(dir);
  await assert.rejects(fsyncDir(path.join(dir, 'missing')), { code: 'ENOENT' });
}));
