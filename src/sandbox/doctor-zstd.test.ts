/**
 * strata doctor's zstd check (ADR 0156) and its --store checks. A missing zstd is tested by
 * naming a program that does not exist; the tree and store are small text fixtures.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { runDoctor } from './doctor.js';
import { ZSTD_FIX, zstdCheck, zstdNeeds } from './doctor-zstd.js';
import { formatChecks, run as doctorCommand } from '../cli/commands/doctor.js';
import { bufferIO } from '../cli/io.js';
import { addPackage, writeFiles } from '../build/testsupport/busybox-tree.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_ZSTD } from '../oci/types.js';
import { tempDir, cleanupTempDirs } from './test-fixtures.js';

after(cleanupTempDirs);

const MISSING = 'strata-test-no-such-zstd';
const HASH = 'a'.repeat(64);

function gzipTree(): string {
  const tree = tempDir('strata-doc-zstd-tree-');
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  addPackage(tree, 'core', 'plain', 'FROM scratch\nADD fetch/plain-${VERSION}.tar.gz /src/\n', {},
    `[sources.plain]\nhash = "${HASH}"\nmirrors = ["https://example.org/plain-{version}.tar.gz"]\n`);
  return tree;
}

/** A store directory holding one image whose manifest lists layers of the given media types. */
function fakeStore(mediaTypes: string[]): string {
  const root = path.join(tempDir('strata-doc-zstd-store-'), 'store');
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
    layers: mediaTypes.map((mediaType, i) => ({ mediaType, digest: `sha256:${String(i).repeat(64)}`, size: 1 })),
  });
  const hex = createHash('sha256').update(manifest).digest('hex');
  mkdirSync(path.join(root, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(root, 'blobs', 'sha256', hex), manifest);
  writeFileSync(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(root, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'core-z' } }],
  }));
  return root;
}

test('zstd present: ok; missing and not needed: a warning with the apt fix, the run still succeeds', async () => {
  assert.equal(zstdCheck('zstd', []).ok, true);
  const store = path.join(tempDir('strata-doc-zstd-'), 'store');
  const checks = await runDoctor({ storeDir: store, tree: gzipTree(), minFreeBytes: 1, zstdTool: MISSING });
  const z = checks.find((c) => c.name === 'zstd');
  assert.deepEqual(z, { name: 'zstd', required: false, ok: false, detail: `${MISSING} not found; needed only for zstd layers (--layer-compression zstd) and ADD of .zst archives`, fix: ZSTD_FIX });
  assert.ok(checks.every((c) => c.ok || !c.required), 'a missing zstd alone does not fail the doctor');
  assert.match(formatChecks(checks), /^warn {2}zstd +strata-test-no-such-zstd not found; .* — fix: apt-get install zstd$/m);
});

test('a tree with a .zst source or ADD needs zstd: missing, it is a failure naming where', async () => {
  const tree = gzipTree();
  addPackage(tree, 'core', 'zsrc', 'FROM scratch\nCOPY fetch/zsrc-1.0.tar.zst /src/\n', {},
    `[sources.zsrc]\nhash = "${HASH}"\nmirrors = ["https://example.org/zsrc-{version}.tar.zst"]\n`);
  addPackage(tree, 'core', 'zadd', 'FROM scratch\nRUN true\nADD data.tzst /data/\n');
  const needs = zstdNeeds(tree, path.join(tree, '.strata', 'store'));
  assert.equal(needs.length, 2, needs.join('\n'));
  assert.match(needs[0]!, /zadd\/Containerfile:3: ADD data\.tzst$/);
  assert.equal(needs[1], 'core-zsrc: source zsrc (zsrc-1.0.tar.zst) is zstd');
  const z = zstdCheck(MISSING, needs);
  assert.equal(z.required, true);
  assert.equal(z.ok, false);
  assert.match(z.detail, /needed: .*Containerfile:3: ADD data\.tzst; core-zsrc: source zsrc/);
  assert.equal(z.fix, ZSTD_FIX);
  assert.deepEqual(zstdNeeds(gzipTree(), path.join(tree, 'no-store')), []);
});

test('a store holding an image with zstd layers needs zstd; gzip layers do not', () => {
  assert.deepEqual(zstdNeeds(undefined, fakeStore([MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_ZSTD])), ['store image core-z has zstd layers']);
  assert.deepEqual(zstdNeeds(undefined, fakeStore([MEDIA_TYPE_LAYER_GZIP])), []);
  const z = zstdCheck(MISSING, ['store image core-z has zstd layers']);
  assert.match(formatChecks([z]), /^FAIL {2}zstd +strata-test-no-such-zstd not found; needed: store image core-z has zstd layers — fix: apt-get install zstd$/m);
});

test('doctor --store: a path build would refuse is bad input (exit 2), located at the path, nothing created', async () => {
  const dir = tempDir('strata-doc-store-');
  writeFileSync(path.join(dir, 'file'), 'x');
  mkdirSync(path.join(dir, 'foreign'));
  writeFileSync(path.join(dir, 'foreign', 'notes.txt'), 'mine');
  const cases: Array<[string, string]> = [
    ['/proc/strata-store', 'cli/unwritable-output'],
    ['file/store', 'cli/not-a-directory'],
    ['file', 'cli/not-a-directory'],
    ['foreign', 'build/path-not-a-store'],
  ];
  for (const [store, code] of cases) {
    await assert.rejects(doctorCommand(['--store', store, '--min-free-gib', '0'], bufferIO({}, dir)), (e: unknown) => {
      assert.ok(e instanceof StrataError, String(e));
      assert.equal(e.code, code, store);
      assert.equal(e.kind, 'input', store);
      assert.equal(e.location?.file, store);
      assert.ok(e.hint, store);
      return true;
    });
  }
  // a new directory (build creates it) and an existing store are fine
  const io = bufferIO({}, dir);
  assert.equal(await doctorCommand(['--store', 'new/store', '--min-free-gib', '0', '--json'], io), 0);
  assert.equal(await doctorCommand(['--store', fakeStore([MEDIA_TYPE_LAYER_GZIP]), '--min-free-gib', '0'], bufferIO({}, dir)), 0);
});
