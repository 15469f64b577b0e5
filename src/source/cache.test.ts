import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceCache, defaultCacheDir, shortHash } from './cache.js';
import { exportSources, importSources, MANIFEST_NAME, parseManifest } from './transfer.js';
import { StrataError } from '../errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => path.join(tmp, `d${n++}`);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const A = Buffer.from('alpha source bytes\n'.repeat(100));
const B = Buffer.from('beta source bytes\n'.repeat(300));
const C = Buffer.from('gamma\n');

async function put(cache: SourceCache, bytes: Buffer): Promise<void> {
  const w = await cache.writer(sha(bytes));
  await w.write(bytes.subarray(0, 7));
  await w.write(bytes.subarray(7));
  const r = await w.commit();
  assert.equal(r.ok, true);
}

test('a blob enters the cache only when its bytes match its hash', async () => {
  const cache = new SourceCache(fresh());
  assert.equal(await cache.has(sha(A)), false);
  const w = await cache.writer(sha(A));
  await w.write(B);
  const r = await w.commit();
  assert.deepEqual(r, { ok: false, got: sha(B), bytes: B.length });
  assert.deepEqual(readdirSync(cache.blobDir), [], 'the temp file is gone too');
  assert.equal(await cache.has(sha(A)), false);

  await put(cache, A);
  assert.equal(await cache.has(sha(A)), true);
  assert.deepEqual(readFileSync(cache.path(sha(A))), A);
  assert.deepEqual(readdirSync(cache.blobDir), [sha(A)]);
});

test('putting the same blob twice is harmless; abort leaves nothing', async () => {
  const cache = new SourceCache(fresh());
  await put(cache, A);
  await put(cache, A);
  const w = await cache.writer(sha(B));
  await w.write(B);
  await w.abort();
  await w.abort();
  assert.deepEqual(await cache.list(), [sha(A)]);
  assert.deepEqual(readdirSync(cache.blobDir), [sha(A)]);
});

test('path() refuses anything but 64 lower-case hex', () => {
  const cache = new SourceCache(fresh());
  assert.throws(() => cache.path('../etc/passwd'), TypeError);
  assert.throws(() => cache.path('A'.repeat(64)), TypeError);
});

test('recheck catches a flipped byte, removes it, clears stale temp files and reports strays', async () => {
  const cache = new SourceCache(fresh());
  await put(cache, A);
  await put(cache, B);
  const flipped = Buffer.from(B);
  flipped[100] = flipped[100]! ^ 0x01;
  writeFileSync(cache.path(sha(B)), flipped);
  writeFileSync(path.join(cache.blobDir, '.tmp-deadbeef-000000'), 'partial');
  writeFileSync(path.join(cache.blobDir, 'README'), 'stray');
  const seen: Array<[string, boolean]> = [];
  const report = await cache.recheck((h, ok) => seen.push([h, ok]));
  assert.deepEqual(report.ok, [sha(A)]);
  assert.deepEqual(report.corrupt, [{ hash: sha(B), got: sha(flipped) }]);
  assert.deepEqual(report.staleTemps, ['.tmp-deadbeef-000000']);
  assert.deepEqual(report.strays, ['README']);
  assert.equal(await cache.has(sha(B)), false);
  assert.deepEqual(readdirSync(cache.blobDir).sort(), ['README', sha(A)].sort());
  assert.equal(seen.length, 2);
});

test('recheck of a cache that does not exist yet is empty, not an error', async () => {
  const report = await new SourceCache(fresh()).recheck();
  assert.deepEqual(report, { ok: [], corrupt: [], staleTemps: [], strays: [] });
});

test('the cache directory: --cache, then STRATA_CACHE, then <tree>/.strata/sources', () => {
  assert.equal(defaultCacheDir('/t', '/c', { STRATA_CACHE: '/e' }), '/c');
  assert.equal(defaultCacheDir('/t', undefined, { STRATA_CACHE: '/e' }), '/e');
  assert.equal(defaultCacheDir('/t', undefined, {}), path.join('/t', '.strata', 'sources'));
});

test('export then import moves every source to another cache, verified', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  await put(src, B);
  await put(src, C);
  const out = fresh();
  const rep = await exportSources(
    src,
    [
      { hash: sha(B), file: 'b.tar.gz' },
      { hash: sha(A), file: 'a.tar.xz' },
      { hash: sha(A), file: 'a-copy.tar.xz' },
    ],
    out,
  );
  assert.deepEqual(rep.entries.map((e) => e.file), ['a-copy.tar.xz', 'a.tar.xz', 'b.tar.gz']);
  const manifest = readFileSync(path.join(out, MANIFEST_NAME), 'utf8');
  assert.deepEqual(manifest.split('\n').slice(1), [
    `${sha(A)} ${A.length} a-copy.tar.xz`,
    `${sha(A)} ${A.length} a.tar.xz`,
    `${sha(B)} ${B.length} b.tar.gz`,
    '',
  ]);
  assert.deepEqual(readdirSync(path.join(out, 'sha256')).sort(), [sha(A), sha(B)].sort(), 'C was not asked for');

  const dst = new SourceCache(fresh());
  const imp = await importSources(dst, out);
  assert.deepEqual(imp.rejected, []);
  assert.deepEqual(imp.imported.map((e) => [e.file, e.alreadyPresent]), [
    ['a-copy.tar.xz', false],
    ['a.tar.xz', false],
    ['b.tar.gz', false],
  ]);
  assert.deepEqual(readFileSync(dst.path(sha(A))), A);
  assert.deepEqual(readFileSync(dst.path(sha(B))), B);
  const again = await importSources(dst, out);
  assert.ok(again.imported.every((e) => e.alreadyPresent));
});

test('import rejects a tampered file, an unlisted file and a missing one, and keeps the good ones', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  await put(src, B);
  await put(src, C);
  const out = fresh();
  await exportSources(src, [{ hash: sha(A), file: 'a' }, { hash: sha(B), file: 'b' }, { hash: sha(C), file: 'c' }], out);
  const tampered = Buffer.from(B);
  tampered[0] = tampered[0]! ^ 0x20;
  writeFileSync(path.join(out, 'sha256', sha(B)), tampered);
  rmSync(path.join(out, 'sha256', sha(C)));
  const extra = Buffer.from('smuggled');
  writeFileSync(path.join(out, 'sha256', sha(extra)), extra);
  writeFileSync(path.join(out, 'notes.txt'), 'hello');

  const dst = new SourceCache(fresh());
  const imp = await importSources(dst, out);
  assert.deepEqual(imp.imported.map((e) => e.file), ['a']);
  assert.deepEqual(
    imp.rejected,
    [
      { path: 'notes.txt', reason: 'not part of a strata export' },
      { path: `sha256/${sha(B)}`, reason: `b: sha256 mismatch (got ${shortHash(sha(tampered))})` },
      { path: `sha256/${sha(C)}`, reason: 'listed for c but missing' },
      { path: `sha256/${sha(extra)}`, reason: `not listed in ${MANIFEST_NAME}` },
    ].sort((x, y) => (x.path < y.path ? -1 : 1)),
  );
  assert.deepEqual(await dst.list(), [sha(A)]);
  assert.deepEqual(readdirSync(dst.blobDir), [sha(A)], 'no temp files left');
});

test('import rejects a file whose size differs from the manifest', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  const out = fresh();
  await exportSources(src, [{ hash: sha(A), file: 'a' }], out);
  writeFileSync(path.join(out, 'sha256', sha(A)), Buffer.concat([A, Buffer.from('x')]));
  const imp = await importSources(new SourceCache(fresh()), out);
  assert.deepEqual(imp.rejected, [{ path: `sha256/${sha(A)}`, reason: `a: size ${A.length + 1}, manifest says ${A.length}` }]);
});

test('a malformed manifest is an input error with file:line:col, and nothing is imported', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  const out = fresh();
  await exportSources(src, [{ hash: sha(A), file: 'a' }], out);
  const mf = path.join(out, MANIFEST_NAME);
  writeFileSync(mf, `${readFileSync(mf, 'utf8')}${sha(B)} lots b\n`);
  const dst = new SourceCache(fresh());
  await assert.rejects(importSources(dst, out, 'usb'), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'source/bad-manifest-size');
    assert.equal(e.exitCode, 2);
    assert.equal(e.format(), `usb/${MANIFEST_NAME}:3:66: 'lots' is not a byte count — the second field is the file size in bytes`);
    return true;
  });
  assert.equal(existsSync(dst.dir), false);
});

test('manifest parser: bad hash, path in file name, inconsistent sizes, missing manifest', async () => {
  const h = 'a'.repeat(64);
  const code = (text: string): string => {
    try {
      parseManifest(text, 'm');
      return 'ok';
    } catch (e) {
      return (e as StrataError).code;
    }
  };
  assert.equal(code(`# c\n\n${h} 1 x\n`), 'ok');
  assert.equal(code(`${h.toUpperCase()} 1 x\n`), 'source/bad-manifest-hash');
  assert.equal(code(`${h} 1 ../x\n`), 'source/bad-manifest-file');
  assert.equal(code(`${h} 1 d/x\n`), 'source/bad-manifest-file');
  assert.equal(code(`${h} 1 x\n${h} 2 y\n`), 'source/bad-manifest-size');
  assert.equal(code(`${h}\n`), 'source/bad-manifest-line');
  const empty = fresh();
  mkdirSync(empty);
  await assert.rejects(importSources(new SourceCache(fresh()), empty), { code: 'source/no-manifest' });
});

test('export refuses a non-empty directory and sources the cache lacks, writing nothing', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  const busy = fresh();
  mkdirSync(busy);
  writeFileSync(path.join(busy, 'x'), 'x');
  await assert.rejects(exportSources(src, [{ hash: sha(A), file: 'a' }], busy), { code: 'source/export-dir-not-empty' });
  const out = fresh();
  await assert.rejects(
    exportSources(src, [{ hash: sha(A), file: 'a' }, { hash: sha(B), file: 'b.tar' }], out),
    (e: unknown) => e instanceof StrataError && e.code === 'source/export-missing' && e.exitCode === 1 && /b\.tar/.test(e.message),
  );
  assert.equal(existsSync(out), false);
});

test('export re-hashes: a corrupt cached blob is not exported', async () => {
  const src = new SourceCache(fresh());
  await put(src, A);
  writeFileSync(src.path(sha(A)), B);
  const out = fresh();
  await assert.rejects(exportSources(src, [{ hash: sha(A), file: 'a' }], out), { code: 'source/cache-corrupt' });
  assert.equal(existsSync(path.join(out, MANIFEST_NAME)), false);
  assert.equal(existsSync(path.join(out, 'sha256')), false);
});
