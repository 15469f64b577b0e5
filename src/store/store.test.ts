import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { repoRoot } from '../testutil/paths.js';
import { MEDIA_TYPE_LAYER_GZIP } from '../oci/types.js';
import { fsckStore } from './fsck.js';
import { gcStore } from './gc.js';
import { exportImage } from './export.js';
import { BLOBS_DIR, LOCK_FILE, TMP_DIR } from './paths.js';
import { OciStore } from './store.js';
import { acquireLock } from './lock.js';
import { putTinyImage } from './test-image.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'strata-store-'));
}
const deadPid = (): number => spawnSync('true').pid!;
const codes = (r: { problems: readonly { code: string }[] }): string[] => r.problems.map((p) => p.code);

test('put verifies while writing: a mismatch stores nothing and leaves no temp file', async () => {
  const dir = tmp();
  try {
    const s = await OciStore.open(dir, { create: true });
    const data = new TextEncoder().encode('payload');
    await assert.rejects(s.putBlob(data, { digest: sha256Digest('other') }), (e: unknown) => e instanceof StrataError && e.code === 'store/digest-mismatch');
    await assert.rejects(s.putBlob(data, { size: 3 }), (e: unknown) => e instanceof StrataError && e.code === 'store/digest-mismatch');
    assert.deepEqual(readdirSync(path.join(dir, BLOBS_DIR)), []);
    assert.deepEqual(readdirSync(path.join(dir, TMP_DIR)), []);
    const a = await s.putBlob(data, { digest: sha256Digest(data) });
    const b = await s.putBlob([data.subarray(0, 3), data.subarray(3)]);
    assert.deepEqual(a, b, 'idempotent');
    assert.deepEqual(Buffer.from(await s.readBlob(a.digest)), Buffer.from(data));
    const p = s.blobPath(a.digest);
    writeFileSync(p, 'paylOad');
    await assert.rejects(s.readBlob(a.digest), (e: unknown) => e instanceof StrataError && e.code === 'store/corrupt-blob');
    await assert.rejects((async () => { for await (const _ of s.streamBlob(a.digest)) { /* drain */ } })(), (e: unknown) => e instanceof StrataError && e.code === 'store/corrupt-blob');
    await s.putBlob(data);
    assert.deepEqual(Buffer.from(await s.readBlob(a.digest)), Buffer.from(data), 'a second put repairs a damaged copy');
    await assert.rejects(OciStore.open(path.join(dir, 'nope')), (e: unknown) => e instanceof StrataError && e.code === 'store/not-a-store' && e.exitCode === 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a ref is never set to an incomplete image', async () => {
  const dir = tmp();
  try {
    const s = await OciStore.open(dir, { create: true });
    const before = readFileSync(path.join(dir, 'index.json'));
    const { buildImageConfig, parsePlatform } = await import('../oci/build.js');
    const cfg = buildImageConfig({ platform: parsePlatform('linux/amd64'), sourceDateEpoch: 1, diffIds: [sha256Digest('t')] });
    await assert.rejects(s.writeImage('core-x', cfg, [{ mediaType: MEDIA_TYPE_LAYER_GZIP, digest: sha256Digest('absent'), size: 5 }]), (e: unknown) => e instanceof StrataError && e.code === 'store/missing-blob');
    assert.deepEqual(readFileSync(path.join(dir, 'index.json')), before);
    await assert.rejects(s.setRef('bad ref', { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest('x'), size: 1 }), (e: unknown) => e instanceof StrataError && e.code === 'store/bad-ref');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fsck passes on a good store and catches a flipped byte, a missing blob, a truncated index and a stray temp file', async () => {
  const dir = tmp();
  try {
    const s = await OciStore.open(dir, { create: true });
    const desc = await putTinyImage(s, 'core-tiny');
    assert.equal((await s.listImages()).length, 1);
    const ok = await fsckStore(dir);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.blobs, 4);
    const m = await s.readManifest(desc.digest);
    const layer = s.blobPath(m.layers[1]!.digest);
    const orig = readFileSync(layer);
    const flipped = Buffer.from(orig);
    flipped[20]! ^= 1;
    writeFileSync(layer, flipped);
    assert.deepEqual(codes(await fsckStore(dir)), ['store/corrupt-blob']);
    unlinkSync(layer);
    assert.deepEqual(codes(await fsckStore(dir)), ['store/missing-blob']);
    writeFileSync(layer, orig);
    writeFileSync(path.join(dir, TMP_DIR, `${deadPid()}-0123abcd.blob`), 'partial');
    assert.deepEqual(codes(await fsckStore(dir)), ['store/temp-leftover']);
    const io = bufferIO({}, dir);
    assert.equal(await main(['fsck', '--store', dir], io), 1);
    assert.match(io.stdout(), /temporary file left by an interrupted write \[store\/temp-leftover\]/);
    assert.equal(await main(['gc', '--store', dir, '--grace', '0'], bufferIO()), 0);
    assert.equal(await main(['fsck', '--store', dir], bufferIO()), 0);
    const index = path.join(dir, 'index.json');
    truncateSync(index, 30);
    const io2 = bufferIO();
    assert.equal(await main(['fsck', '--store', dir, '--json'], io2), 1);
    const report = JSON.parse(io2.stdout()) as { ok: boolean; problems: { code: string }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(codes(report), ['store/bad-index']);
    const io3 = bufferIO();
    assert.equal(await main(['fsck', '--store', path.join(dir, 'missing')], io3), 2);
    assert.match(io3.stderr(), /missing: not a strata store .* — /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gc removes unreferenced blobs (after the grace period) and leftovers, keeps referenced ones', async () => {
  const dir = tmp();
  try {
    const s = await OciStore.open(dir, { create: true });
    await putTinyImage(s, 'core-a');
    await putTinyImage(s, 'core-b', 'b');
    const before = readdirSync(path.join(dir, BLOBS_DIR)).length;
    assert.ok(await s.removeRef('core-b'));
    const young = await gcStore(dir);
    assert.equal(young.removedBlobs.length, 0);
    assert.ok(young.keptYoung > 0, 'fresh blobs are protected by the grace period');
    const r = await gcStore(dir, { graceSeconds: 0 });
    assert.equal(r.removedBlobs.length, 4, 'config, manifest and two layers of core-b (core-a shares none)');
    assert.equal(readdirSync(path.join(dir, BLOBS_DIR)).length, before - 4);
    assert.deepEqual((await fsckStore(dir)).problems, []);
    assert.equal((await s.listImages())[0]!.ref, 'core-a');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale lock of a dead process is broken; fsck reports it first', async () => {
  const dir = tmp();
  try {
    const s = await OciStore.open(dir, { create: true });
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: os.hostname(), token: 'x' }));
    assert.deepEqual(codes(await fsckStore(dir)), ['store/stale-lock']);
    await putTinyImage(s, 'core-a');
    assert.ok(!existsSync(path.join(dir, LOCK_FILE)));
    assert.deepEqual((await fsckStore(dir)).problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two writer processes on one store leave it consistent', async () => {
  const dir = tmp();
  try {
    await OciStore.open(dir, { create: true });
    const script = path.join(dir, '..', `${path.basename(dir)}-writer.mjs`);
    const storeUrl = pathToFileURL(path.join(repoRoot, 'dist', 'store', 'store.js')).href;
    const imgUrl = pathToFileURL(path.join(repoRoot, 'dist', 'store', 'test-image.js')).href;
    writeFileSync(script, `
      const { OciStore } = await import(${JSON.stringify(storeUrl)});
      const { putTinyImage } = await import(${JSON.stringify(imgUrl)});
      const [dir, who] = process.argv.slice(2);
      const s = await OciStore.open(dir);
      for (let i = 0; i < 12; i++) {
        await putTinyImage(s, 'img-' + who + '-' + i, who + i);
        await putTinyImage(s, 'shared-' + (i % 3), 'same');
      }
    `);
    const runOne = (who: string): Promise<number> =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, [script, dir, who], { stdio: ['ignore', 'inherit', 'inherit'] });
        c.on('close', (code) => resolve(code ?? 1));
      });
    const exits = await Promise.all([runOne('a'), runOne('b')]);
    rmSync(script);
    assert.deepEqual(exits, [0, 0]);
    const s = await OciStore.open(dir);
    const refs = (await s.listImages()).map((i) => i.ref);
    assert.equal(refs.length, 27);
    assert.deepEqual(refs, [...refs].sort());
    assert.deepEqual((await fsckStore(dir)).problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('skopeo and umoci accept the store layout and an exported image', async () => {
  const dir = tmp();
  try {
    const storeDir = path.join(dir, 'store');
    const s = await OciStore.open(storeDir, { create: true });
    const desc = await putTinyImage(s, 'core-tiny');
    await putTinyImage(s, 'core-other', 'o');
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${storeDir}:core-tiny`]).toString()) as { Digest: string; Layers: string[]; Architecture: string; Env: string[] };
    assert.equal(inspect.Digest, desc.digest);
    assert.equal(inspect.Layers.length, 2);
    assert.equal(inspect.Architecture, 'amd64');
    const bundle = path.join(dir, 'bundle');
    execFileSync('umoci', ['unpack', '--rootless', '--image', `${storeDir}:core-tiny`, bundle], { stdio: 'pipe' });
    const rootfs = path.join(bundle, 'rootfs');
    assert.equal(readFileSync(path.join(rootfs, 'etc', 'second'), 'utf8'), 'second\n');
    assert.ok(!existsSync(path.join(rootfs, 'etc', 'hello')), 'the whiteout in layer 2 removed etc/hello');
    assert.equal(readFileSync(path.join(rootfs, 'bin', 'tool'), 'utf8'), '#!/bin/sh\necho tool\n');
    const out = path.join(dir, 'export');
    const exported = await exportImage(s, 'core-tiny', out);
    assert.equal(exported.digest, desc.digest);
    assert.equal(readdirSync(path.join(out, BLOBS_DIR)).length, 4);
    const copy = path.join(dir, 'copy');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${out}:core-tiny`, `oci:${copy}:x`]);
    const copied = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${copy}:x`]).toString()) as { Digest: string };
    assert.equal(copied.Digest, desc.digest, 'skopeo copies the exported image bit for bit');
    await assert.rejects(exportImage(s, 'core-tiny', out), (e: unknown) => e instanceof StrataError && e.code === 'store/export-exists');
    await assert.rejects(exportImage(s, 'core-none', path.join(dir, 'e2')), (e: unknown) => e instanceof StrataError && e.code === 'store/unknown-image');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store lock excludes concurrent holders within one process and leaves no temp files', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
  try {
    mkdirSync(path.join(dir, 'tmp'));
    const file = path.join(dir, 'index.json.lock');
    let holders = 0;
    let most = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        const release = await acquireLock(file, { scratchDir: path.join(dir, 'tmp'), timeoutMs: 60_000 });
        holders += 1;
        entered += 1;
        most = Math.max(most, holders);
        await new Promise((r) => setImmediate(r));
        holders -= 1;
        await release();
      }),
    );
    assert.equal(entered, 40);
    assert.equal(most, 1, 'two holders at once');
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), [], 'no temp lock files left');
    assert.equal(existsSync(file), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store lock holds across processes: 4 writers × 40 read-modify-write rounds lose nothing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
  try {
    mkdirSync(path.join(dir, 'tmp'));
    const counter = path.join(dir, 'counter');
    writeFileSync(counter, '0');
    const lockUrl = pathToFileURL(path.join(repoRoot, 'dist', 'store', 'lock.js')).href;
    const script = `
      import { acquireLock } from ${JSON.stringify(lockUrl)};
      import { readFileSync, writeFileSync } from 'node:fs';
      const [file, scratchDir, counter] = process.argv.slice(1);
      for (let i = 0; i < 40; i++) {
        const release = await acquireLock(file, { scratchDir, timeoutMs: 60000 });
        const n = Number(readFileSync(counter, 'utf8'));
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        writeFileSync(counter, String(n + 1));
        await release();
      }`;
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script, path.join(dir, 'index.json.lock'), path.join(dir, 'tmp'), counter], { stdio: ['ignore', 'ignore', 'pipe'] }),
    );
    const codes = await Promise.all(
      children.map((c) => new Promise<number | null>((resolve) => {
        let err = '';
        c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        c.on('close', (code) => {
          if (code !== 0) process.stderr.write(err);
          resolve(code);
        });
      })),
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    assert.equal(readFileSync(counter, 'utf8'), '160', 'an update was lost: two processes held the lock at once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
