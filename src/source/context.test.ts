import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceCache } from './cache.js';
import { fetchedFiles } from './context.js';
import type { PackageDef, SourceDef } from '../tree/types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-context-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const A = Buffer.from('a source\n');
const B = Buffer.from('b source\n');

function source(id: string, file: string, hash: string): SourceDef {
  return { id, version: '1', file, format: undefined, hash, mirrors: [], gitSha: undefined, location: { file: 'package.toml', line: 5, col: 1 } };
}
/** Only the fields fetchedFiles reads. */
function pkg(sources: SourceDef[]): PackageDef {
  return { id: 'core-x', sources } as unknown as PackageDef;
}
async function cacheWith(...blobs: Buffer[]): Promise<SourceCache> {
  const cache = new SourceCache(mkdtempSync(path.join(tmp, 'c')));
  for (const b of blobs) assert.equal((await cache.putFile(await tmpFile(b), sha(b))).ok, true);
  return cache;
}
let n = 0;
async function tmpFile(b: Buffer): Promise<string> {
  const p = path.join(tmp, `f${n++}`);
  writeFileSync(p, b);
  return p;
}

test('fetched files are listed by name with their cache paths', async () => {
  const cache = await cacheWith(A, B);
  const files = await fetchedFiles(pkg([source('b', 'b.tar', sha(B)), source('a', 'a.tar', sha(A))]), cache, { verify: true });
  assert.deepEqual(files, [
    { file: 'a.tar', path: cache.path(sha(A)), hash: sha(A) },
    { file: 'b.tar', path: cache.path(sha(B)), hash: sha(B) },
  ]);
});

test('a missing source is a build failure that says what to run', async () => {
  const cache = await cacheWith(A);
  await assert.rejects(fetchedFiles(pkg([source('a', 'a.tar', sha(A)), source('b', 'b.tar', sha(B))]), cache), (e: unknown) => {
    const err = e as { code: string; exitCode: number; message: string; hint: string };
    assert.equal(err.code, 'source/not-fetched');
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /^core-x: sources not in the cache: b\.tar \(sha256 [0-9a-f]{12}…\)$/);
    assert.equal(err.hint, "run 'strata fetch core-x' first");
    return true;
  });
});

test('with verify, a corrupted cached file is removed and reported', async () => {
  const cache = await cacheWith(A);
  writeFileSync(cache.path(sha(A)), B);
  await assert.rejects(fetchedFiles(pkg([source('a', 'a.tar', sha(A))]), cache, { verify: true }), /cached copy was corrupt/);
  assert.equal(existsSync(cache.path(sha(A))), false);
});

test('two sources with one file name and different hashes are an input error at the source', async () => {
  const cache = await cacheWith(A, B);
  await assert.rejects(fetchedFiles(pkg([source('a', 'x.tar', sha(A)), source('b', 'x.tar', sha(B))]), cache), {
    code: 'source/file-name-clash',
  });
});
