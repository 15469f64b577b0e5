/**
 * Integration: `strata build --layer-compression zstd` (ADR 0166, 0169) — zstd layers whose
 * digests match their blobs and whose tars match the gzip build's diff_ids, a zstd base
 * image extracted for a second build, a layout skopeo accepts, `export --layer-compression`
 * giving the same manifest as the build, and `verify --layer-compression zstd`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { bufferIO } from '../cli/io.js';
import { main } from '../cli/main.js';
import { cacheKey, type CacheKeyInput } from './cache-key.js';
import { statePaths } from './state.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

const APP = `FROM stagex/core-busybox
COPY data.txt /opt/
RUN mkdir -p /out && cat /opt/data.txt /opt/data.txt > /out/twice && ls /bin | head -3 > /out/list
`;

interface Manifest {
  readonly config: { readonly digest: string };
  readonly layers: readonly { readonly mediaType: string; readonly digest: string; readonly size: number }[];
}

const hexOf = (d: string): string => d.replace(/^sha256:/, '');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function blob(layout: string, digest: string): Buffer {
  return readFileSync(path.join(layout, 'blobs', 'sha256', hexOf(digest)));
}

function manifestOf(layout: string, ref: string): { manifest: Manifest; diffIds: string[]; digest: string } {
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref) ?? index.manifests[0]!;
  const manifest = JSON.parse(blob(layout, d.digest).toString('utf8')) as Manifest;
  const config = JSON.parse(blob(layout, manifest.config.digest).toString('utf8')) as { rootfs: { diff_ids: string[] } };
  return { manifest, diffIds: config.rootfs.diff_ids, digest: d.digest };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({ PATH: process.env['PATH'] });
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test('build --layer-compression zstd: zstd layers, extraction as a base, skopeo, export and verify', async () => {
  const tree = makeBusyboxTree('strata-zstd-tree-');
  addPackage(tree, 'core', 'app', APP, { 'data.txt': 'zstd layers\n'.repeat(500) });
  const store = path.join(tempDir('strata-zstd-store-'), 'store');
  const gzStore = path.join(tempDir('strata-zstd-gzstore-'), 'store');
  const work = tempDir('strata-zstd-out-');
  try {
    // the base image alone first, then its extracted layers are dropped so that the
    // second build has to extract the zstd blobs of its FROM image
    let r = await cli('build', 'core-busybox', '--layer-compression', 'zstd', '--tree', tree, '--store', store);
    assert.equal(r.code, 0, r.err);
    rmSync(statePaths(store).layers, { recursive: true, force: true });
    r = await cli('build', 'core-app', '--layer-compression', 'zstd', '--tree', tree, '--store', store);
    assert.equal(r.code, 0, r.err);
    const zstdDigests = readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8');

    const app = manifestOf(store, 'core-app');
    assert.ok(app.manifest.layers.length >= 3);
    for (const [i, l] of app.manifest.layers.entries()) {
      assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
      const bytes = blob(store, l.digest);
      assert.equal(`sha256:${sha(bytes)}`, l.digest, 'blob digest');
      assert.equal(bytes.length, l.size);
      const tar = execFileSync('zstd', ['-dc'], { input: bytes, maxBuffer: 1 << 28 });
      assert.equal(`sha256:${sha(tar)}`, app.diffIds[i], `layer ${i}: diff_id`);
    }
    assert.match(zstdDigests, new RegExp(`^${hexOf(app.digest)} core-app$`, 'm'));

    // the RUN on top of the zstd base saw its files
    const last = execFileSync('zstd', ['-dc'], { input: blob(store, app.manifest.layers.at(-1)!.digest) });
    assert.ok(last.includes(Buffer.from('zstd layers\nzstd layers\n')), 'the RUN read the COPYed file');

    // skopeo accepts the layout and sees the zstd layers
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${store}:core-app`], { encoding: 'utf8' })) as Manifest;
    assert.deepEqual(inspect.layers.map((l) => l.digest), app.manifest.layers.map((l) => l.digest));

    // exporting the zstd image as gzip needs the host zstd: without it, one clear error
    // and no half-written layout
    const failed = path.join(work, 'oci-failed');
    const savedPath = process.env['PATH'];
    process.env['PATH'] = tempDir('strata-zstd-nopath-');
    try {
      r = await cli('export', 'core-app', '--oci', failed, '--layer-compression', 'gzip', '--store', store);
    } finally {
      process.env['PATH'] = savedPath;
    }
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /cannot run 'zstd' to read a zstd layer.*apt-get install zstd/);
    assert.equal(existsSync(failed), false, 'the failed export left files behind');

    // verify rebuilds with zstd and reproduces the recorded zstd digests
    r = await cli('verify', 'core-app', '--layer-compression', 'zstd', '--tree', tree, '--store', store);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.match(r.out, /all 2 images reproduce/);

    // the same tree with gzip (this rewrites digests/core.txt): other digests, same tars
    r = await cli('build', '--all', '--tree', tree, '--store', gzStore);
    assert.equal(r.code, 0, r.err);
    const gz = manifestOf(gzStore, 'core-app');
    assert.deepEqual(gz.diffIds, app.diffIds);
    assert.notEqual(gz.digest, app.digest);
    assert.ok(gz.manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'));

    // export --layer-compression zstd of the gzip image = the zstd build, byte for byte
    const out = path.join(work, 'oci');
    r = await cli('export', 'core-app', '--oci', out, '--layer-compression', 'zstd', '--store', gzStore, '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { digest: string }).digest, app.digest);
    assert.equal(manifestOf(out, 'core-app').digest, app.digest);
    execFileSync('skopeo', ['inspect', `oci:${out}:core-app`], { stdio: 'pipe' });

    // and back: export --layer-compression gzip of the zstd image = the gzip build
    const back = path.join(work, 'oci-gz');
    r = await cli('export', 'core-app', '--oci', back, '--layer-compression', 'gzip', '--store', store, '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { digest: string }).digest, gz.digest);

  } finally {
    for (const d of [tree, path.dirname(store), path.dirname(gzStore), work]) rmSync(d, { recursive: true, force: true });
  }
});

test('--layer-compression takes gzip or zstd only: one line, exit 2, nothing built', async () => {
  const tree = makeBusyboxTree('strata-zstd-bad-');
  const store = path.join(tempDir('strata-zstd-bad-store-'), 'store');
  try {
    for (const cmd of ['build', 'verify', 'export']) {
      const args = cmd === 'export' ? ['export', 'core-busybox', '--oci', path.join(store, 'x')] : [cmd, 'core-busybox'];
      const r = await cli(...args, '--layer-compression', 'lz4', '--tree', tree, ...(cmd === 'verify' ? [] : ['--store', store]));
      assert.equal(r.code, 2, `${cmd}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, /--layer-compression must be gzip or zstd, got 'lz4'/);
    }
    assert.throws(() => readFileSync(path.join(tree, 'digests', 'core.txt')));
  } finally {
    rmSync(tree, { recursive: true, force: true });
    rmSync(path.dirname(store), { recursive: true, force: true });
  }
});

test('cache key: zstd builds name their own compressor; gzip keys are unchanged', () => {
  const H = (c: string): string => c.repeat(64);
  const base: CacheKeyInput = {
    image: 'core-x', target: undefined, targetIndex: 0, containerfile: H('1'), packageToml: H('2'), context: [], sources: [], seed: undefined,
    deps: {}, buildArgs: {}, platform: 'linux/amd64', sourceDateEpoch: 1, namespace: 'stagex', network: false,
  };
  assert.equal(cacheKey({ ...base, layerCompression: 'gzip' }), cacheKey(base));
  assert.notEqual(cacheKey({ ...base, layerCompression: 'zstd' }), cacheKey(base));
});
