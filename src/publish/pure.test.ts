// Pure and local parts of publish/pull: versions of images, quorum messages, limited
// parallelism, idempotent lookaside copies, staged blobs that leave no trace when discarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { versionsOfTree } from './image-versions.js';
import { quorumShortfall, quorumError } from './quorum-failure.js';
import { forEachLimited } from './limited.js';
import { copySignatures } from './lookaside-copy.js';
import { StagedBlobs } from './staged-blobs.js';
import { OciStore } from '../store/store.js';
import { sha256Digest } from '../digest/digest.js';
import type { QuorumResult } from '../trust/quorum.js';
import type { PackageDef } from '../tree/types.js';

test('versionsOfTree: one image per package, or one per subpackage with the package version', () => {
  const pkg = (stage: string, name: string, version: string, subpackages: string[] = []): PackageDef => ({ stage, name, id: `${stage}-${name}`, version, subpackages }) as unknown as PackageDef;
  const v = versionsOfTree({ packages: [pkg('core', 'zlib', '1.3.1'), pkg('core', 'gcc', '13.2', ['gcc-libs', 'gcc-dev'])] });
  assert.deepEqual([...v].sort(), [['core-gcc-dev', '13.2'], ['core-gcc-libs', '13.2'], ['core-zlib', '1.3.1']]);
});

test('quorumShortfall names the image, the count and the reasons', () => {
  const r = (accepted: number, rejected: string[]): QuorumResult => ({
    image: 'core-x',
    digest: `sha256:${'a'.repeat(64)}`,
    threshold: 2,
    ok: false,
    accepted: Array.from({ length: accepted }, () => ({}) as never),
    rejected: rejected.map((code, i) => ({ source: `/sigs/stagex/core-x@sha256=aa/signature-${i + 1}`, code: code as never, message: 'm', primaryFingerprint: undefined })),
  });
  assert.equal(quorumShortfall(r(0, [])), 'core-x has 0 of 2 maintainer signature(s) (no signatures found)');
  assert.equal(quorumShortfall(r(1, ['trust/key-expired'])), 'core-x has 1 of 2 maintainer signature(s) (rejected signature-1: trust/key-expired)');
  assert.match(quorumShortfall(r(0, ['a', 'b', 'c', 'd', 'e'])), /signature-3: c, and 2 more\)$/);
  const e = quorumError('pull', [r(1, [])], '/sigs', 'nothing was fetched');
  assert.equal(e.exitCode, 1);
  assert.equal(e.code, 'publish/quorum-not-met');
  assert.match(e.format(), /^\/sigs: pull refused: core-x has 1 of 2 maintainer signature\(s\) — nothing was fetched; 'strata check'/);
});

test('forEachLimited: never more than the limit at once, every item once, first failure thrown after all stop', async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setImmediate(r));
    done.push(n);
    running--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  const started: number[] = [];
  await assert.rejects(
    forEachLimited([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
      await new Promise((r) => setImmediate(r));
    }),
    /boom/,
  );
  assert.ok(!started.includes(5), 'no new item starts after a failure');
});

test('copySignatures: first free n, identical bytes not written twice', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'strata-lookaside-copy-'));
  try {
    const digest = `sha256:${'b'.repeat(64)}`;
    const a = new TextEncoder().encode('signature a');
    const b = new TextEncoder().encode('signature b');
    assert.deepEqual(await copySignatures(out, 'stagex/core-x', digest, [a]), { written: 1, present: 0 });
    assert.deepEqual(await copySignatures(out, 'stagex/core-x', digest, [a, b]), { written: 1, present: 1 });
    assert.deepEqual(await copySignatures(out, 'stagex/core-x', digest, [b, a]), { written: 0, present: 2 });
    assert.deepEqual(readdirSync(path.join(out, 'stagex', `core-x@sha256=${'b'.repeat(64)}`)).sort(), ['signature-1', 'signature-2']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('StagedBlobs: nothing in blobs/ until commitAll; discard leaves no file; unverified blobs refuse to commit', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'strata-staged-'));
  try {
    const store = await OciStore.open(path.join(root, 's'), { create: true });
    const blobs = (): string[] => readdirSync(path.join(store.root, 'blobs', 'sha256'));
    const tmp = (): string[] => readdirSync(path.join(store.root, 'tmp'));
    const x = new TextEncoder().encode('x'.repeat(1000));
    const y = new TextEncoder().encode('y');

    const staged = new StagedBlobs(store);
    await staged.stageBytes(sha256Digest(x), x);
    await staged.stageBytes(sha256Digest(y), y);
    assert.deepEqual(blobs(), []);
    assert.equal(tmp().length, 2);
    await staged.commitAll();
    assert.deepEqual(blobs().sort(), [sha256Digest(x).slice(7), sha256Digest(y).slice(7)].sort());
    assert.deepEqual(tmp(), []);

    const z = new TextEncoder().encode('z');
    const dropped = new StagedBlobs(store);
    await dropped.stageBytes(sha256Digest(z), z);
    await dropped.discard();
    assert.deepEqual(tmp(), []);
    assert.equal(blobs().length, 2);

    const half = new StagedBlobs(store);
    const sink = await half.sink(sha256Digest(z), 1);
    await sink.write(z); // never committed by a verifier
    await assert.rejects(half.commitAll(), (e: Error & { code?: string }) => e.code === 'publish/unverified-blob');
    assert.deepEqual(tmp(), []);
    assert.equal(blobs().length, 2);

    // the sink's finish() hashes exactly what was written; a client that ignored a
    // mismatch and marked the blob verified anyway still cannot get it into blobs/
    const careless = new StagedBlobs(store);
    const cs = await careless.sink(sha256Digest(x), x.length);
    await cs.write(z);
    assert.deepEqual(await cs.finish!(), { digest: sha256Digest(z), size: 1 });
    await cs.commit!();
    await assert.rejects(careless.commitAll(), (e: Error & { code?: string }) => e.code === 'store/digest-mismatch');
    assert.deepEqual(tmp(), []);
    assert.equal(blobs().length, 2);

    const lying = new StagedBlobs(store);
    await lying.stageBytes(sha256Digest(x), z); // wrong bytes for the digest: BlobWriter refuses at commit
    await assert.rejects(lying.commitAll(), (e: Error & { code?: string }) => e.code === 'store/digest-mismatch');
    assert.deepEqual(tmp(), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('worker errors: a StrataError crosses with code, kind, location, hint and plain detail; others keep their message', async () => {
  const { serializeError, deserializeError } = await import('./worker-errors.js');
  const { StrataError } = await import('../errors.js');
  const { cloneableClientOptions } = await import('./transfer-runner.js');
  const { Credentials } = await import('../registry/credentials.js');
  const original = new StrataError('registry/digest-mismatch', 'blob x: the bytes received hash to sha256:aa', {
    kind: 'check',
    location: { file: 'http://127.0.0.1:1/v2/x/blobs/sha256:bb' },
    hint: 'do not use this registry',
    detail: { expected: 'sha256:bb', actual: 'sha256:aa', fn: () => 1 },
  });
  const wire = structuredClone(serializeError(original));
  const back = deserializeError(wire) as InstanceType<typeof StrataError>;
  assert.ok(back instanceof StrataError);
  assert.equal(back.code, original.code);
  assert.equal(back.kind, 'check');
  assert.equal(back.exitCode, original.exitCode);
  assert.equal(back.format(), original.format());
  assert.deepEqual(back.detail, { expected: 'sha256:bb', actual: 'sha256:aa' });
  const plain = deserializeError(structuredClone(serializeError(new TypeError('boom'))));
  assert.ok(!(plain instanceof StrataError));
  assert.equal(plain.message, 'boom');
  // what may cross to a worker: data only
  assert.equal(cloneableClientOptions({ insecure: true, retries: 1, idleTimeoutMs: 100 }), true);
  assert.equal(cloneableClientOptions({ onExchange: () => undefined }), false);
  assert.equal(cloneableClientOptions({ credentials: new Credentials('u', 'p') }), false);
});
