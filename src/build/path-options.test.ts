import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDirContents } from './path-options.js';

test('a store another process is still creating (blobs/, tmp/, index.json, no oci-layout yet) is accepted as a store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-path-options-'));
  try {
    mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    mkdirSync(path.join(dir, 'tmp'));
    writeFileSync(path.join(dir, 'index.json'), '{}');
    writeFileSync(path.join(dir, 'index.json.lock'), '{}');
    assert.doesNotThrow(() => checkDirContents('--store', dir, dir, 'store'));
    // one foreign entry and it is not a store
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    assert.throws(() => checkDirContents('--store', dir, dir, 'store'), { code: 'build/path-not-a-store' });
    // an export target takes only a new or empty directory, even a store in the making
    rmSync(path.join(dir, 'notes.txt'));
    assert.throws(() => checkDirContents('--oci', dir, dir, 'empty'), { code: 'build/path-not-empty' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
