/**
 * A verify mismatch that is only the layer compression (ADR 0157): pure classification over
 * made-up manifests, then real builds — one with --layer-compression zstd verified without
 * the flag (and the reverse), whose explanation must name the flag instead of listing files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { bufferIO } from '../cli/io.js';
import { main } from '../cli/main.js';
import { MEDIA_TYPE_CONFIG, MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR, MEDIA_TYPE_LAYER_ZSTD, MEDIA_TYPE_MANIFEST, type ImageConfig, type ImageManifest } from '../oci/types.js';
import { addPackage, tempDir, writeFiles } from '../build/testsupport/busybox-tree.js';
import { compareImageMetadata, type ImageView } from './compare-images.js';
import { compressionMismatchNote, compressionOnlyDifference, layerCompressionName } from './compression.js';
import { renderComparison } from './render.js';
import type { VerifyReport } from './verify.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

function view(label: string, layers: Array<[mediaType: string, digest: string, diffId: string]>, config = d('c'), cmd = 'sh'): ImageView {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    config: { mediaType: MEDIA_TYPE_CONFIG, digest: config, size: 10 },
    layers: layers.map(([mediaType, digest]) => ({ mediaType, digest, size: 100 })),
  } as unknown as ImageManifest;
  const cfg = { architecture: 'amd64', os: 'linux', config: { Cmd: [cmd] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l[2]) } } as unknown as ImageConfig;
  return { label, digest: d(label === 'A' ? 'a' : 'b'), manifest, config: cfg };
}

test('pure: only the compression differs — classified, and each such layer says so', () => {
  const a = view('A', [[MEDIA_TYPE_LAYER_ZSTD, d('1'), d('4')], [MEDIA_TYPE_LAYER_ZSTD, d('2'), d('5')]]);
  const b = view('B', [[MEDIA_TYPE_LAYER_GZIP, d('7'), d('4')], [MEDIA_TYPE_LAYER_GZIP, d('8'), d('5')]]);
  const c = compareImageMetadata(a, b);
  assert.deepEqual(compressionOnlyDifference(c), { a: 'zstd', b: 'gzip', layers: [0, 1] });
  assert.equal(c.layers[0]!.note, 'only the compression differs: zstd in A, gzip in B (same files)');
  assert.ok(renderComparison(c).includes('  only the compression differs: zstd in A, gzip in B (same files)'));
  const note = compressionMismatchNote(compressionOnlyDifference(c)!, 'core-app');
  assert.match(note, /only the layer compression differs: the recorded image has zstd layers, the rebuild made gzip \(layers 0, 1\)/);
  assert.match(note, /run 'strata verify --layer-compression zstd core-app'$/);
  assert.match(compressionMismatchNote({ a: 'gzip', b: 'zstd', layers: [2] }, 'x'), /\(layer 2\); .*run 'strata verify x' without --layer-compression zstd$/);
  assert.match(compressionMismatchNote({ a: 'uncompressed', b: 'gzip', layers: [0] }, 'x'), /strata builds only gzip or zstd layers/);
});

test('pure: any other difference is not a compression-only mismatch', () => {
  const zstd = (digest: string, diffId: string): [string, string, string] => [MEDIA_TYPE_LAYER_ZSTD, digest, diffId];
  const gzip = (digest: string, diffId: string): [string, string, string] => [MEDIA_TYPE_LAYER_GZIP, digest, diffId];
  const a = view('A', [zstd(d('1'), d('4')), zstd(d('2'), d('5'))]);
  const none = [
    view('B', [gzip(d('7'), d('4')), gzip(d('8'), d('6'))], d('e')), // a layer's files differ
    view('B', [gzip(d('7'), d('4'))], d('e')), // a layer fewer
    view('B', [gzip(d('7'), d('4')), gzip(d('8'), d('5'))], d('e'), 'bash'), // config differs
    view('B', [zstd(d('7'), d('4')), zstd(d('2'), d('5'))]), // same media type, other bytes: encoder drift, not the flag
    view('B', [gzip(d('7'), d('4')), [MEDIA_TYPE_LAYER_TAR, d('8'), d('5')]]), // two compressions on one side
  ];
  for (const [i, b] of none.entries()) assert.equal(compressionOnlyDifference(compareImageMetadata(a, b)), undefined, `case ${i}`);
  assert.equal(compareImageMetadata(a, none[3]!).layers[0]!.note, undefined);
  assert.deepEqual(
    [MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_ZSTD, MEDIA_TYPE_LAYER_TAR, 'application/vnd.docker.image.rootfs.diff.tar.gzip', 'x/y'].map(layerCompressionName),
    ['gzip', 'zstd', 'uncompressed', 'gzip', 'x/y'],
  );
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({ PATH: process.env['PATH'] });
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test('verify without --layer-compression of digests made with zstd: the explanation names the flag; with it, reproduced', async () => {
  const tree = tempDir('strata-verify-zstd-');
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  addPackage(tree, 'core', 'app', 'FROM scratch\nCOPY data.txt /opt/\nCOPY more.txt /opt/\n', { 'data.txt': 'zstd layers\n'.repeat(200), 'more.txt': 'more\n' });
  let r = await cli('build', 'core-app', '--layer-compression', 'zstd', '--tree', tree);
  assert.equal(r.code, 0, r.err);

  r = await cli('verify', 'core-app', '--tree', tree);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /core-app: the rebuilt image differs from the recorded one\n {2}the files are reproduced \(every diff_id and the config match\); only the layer compression differs: the recorded image has zstd layers, the rebuild made gzip \(layers 0, 1\); the digests were made with --layer-compression zstd: run 'strata verify --layer-compression zstd core-app'\n/);
  assert.doesNotMatch(r.out, /opt\/data\.txt|only in A|content sha256/, 'no file differences listed');

  r = await cli('verify', 'core-app', '--tree', tree, '--json');
  assert.equal(r.code, 1, r.err);
  const report = JSON.parse(r.out) as VerifyReport;
  const app = report.images.find((i) => i.image === 'core-app')!;
  assert.deepEqual(app.compression, { a: 'zstd', b: 'gzip', layers: [0, 1] });
  assert.ok(app.comparison!.layers.every((l) => l.status === 'recompressed'));

  r = await cli('verify', 'core-app', '--tree', tree, '--layer-compression', 'zstd');
  assert.equal(r.code, 0, r.out + r.err);
});

test('verify --layer-compression zstd of digests made with gzip: told to drop the flag', async () => {
  const tree = tempDir('strata-verify-gzip-');
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  addPackage(tree, 'core', 'app', 'FROM scratch\nCOPY data.txt /opt/\n', { 'data.txt': 'gzip layers\n' });
  let r = await cli('build', 'core-app', '--tree', tree, '--store', path.join(tree, '.strata', 'store'));
  assert.equal(r.code, 0, r.err);
  r = await cli('verify', 'core-app', '--tree', tree, '--layer-compression', 'zstd');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /the recorded image has gzip layers, the rebuild made zstd \(layer 0\); the digests were made with gzip layers \(the default\): run 'strata verify core-app' without --layer-compression zstd\n/);
});
