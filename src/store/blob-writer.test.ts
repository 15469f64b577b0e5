// The store's blob writer: coalesced writes keep the exact bytes, finish() reports the
// digest of what was written (computed once), and commit still refuses a mismatch after
// finish — the digest a caller borrowed from finish() never replaces the store's check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { sha256Digest } from '../digest/digest.js';
import { isStrataError } from '../errors.js';
import { fsckStore } from './fsck.js';
import { BLOBS_DIR, TMP_DIR } from './paths.js';
import { OciStore } from './store.js';

async function withStore(body: (store: OciStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-blobwriter-'));
  try {
    await body(await OciStore.open(path.join(dir, 's'), { create: true }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tmpFiles = (store: OciStore): string[] => readdirSync(path.join(store.root, TMP_DIR));
const blobFiles = (store: OciStore): string[] => readdirSync(path.join(store.root, BLOBS_DIR));

/** Deterministic bytes (no Math.random): byte i of stream `seed`. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('chunks of any size, across the write buffer (256 KiB) and direct-write (64 KiB) thresholds, are stored exactly as given', async () => {
  await withStore(async (store) => {
    // sizes around the buffer (256 KiB), the direct-write threshold (64 KiB) and beyond
    const sizes = [0, 1, 4095, 65535, 65536, 65537, 40000, 262143, 262144, 262145, 1048576, 3, 700000, 2 * 1048576 + 5, 65535, 65535, 65535, 65535, 65535];
    const chunks = sizes.map((n, i) => bytes(n, i + 1));
    const w = await store.openBlobWriter();
    for (const c of chunks) await w.write(c);
    const all = Buffer.concat(chunks);
    assert.equal(w.size, all.length);
    const ref = await w.commit({ digest: sha256Digest(all), size: all.length });
    assert.equal(ref.digest, sha256Digest(all));
    assert.ok(readFileSync(store.blobPath(ref.digest)).equals(all));
    assert.deepEqual(tmpFiles(store), []);
  });
});

test('property: any split of the same bytes gives the same blob', async () => {
  await withStore(async (store) => {
    const data = Buffer.from(bytes(3 * 1048576 + 17, 7));
    const digest = sha256Digest(data);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 600_000 }), { minLength: 1, maxLength: 30 }), async (cuts) => {
        const w = await store.openBlobWriter();
        let off = 0;
        for (const n of cuts) {
          if (off >= data.length) break;
          await w.write(data.subarray(off, off + n));
          off += n;
        }
        if (off < data.length) await w.write(data.subarray(off));
        await w.commit({ digest, size: data.length });
        assert.ok(readFileSync(store.blobPath(digest)).equals(data));
      }),
      { numRuns: 12 },
    );
    assert.deepEqual(tmpFiles(store), []);
  });
});

test('a caller may reuse its buffer as soon as write() returns: the stored bytes are those given', async () => {
  await withStore(async (store) => {
    const buf = Buffer.alloc(4096);
    const expected = createHash('sha256');
    const w = await store.openBlobWriter();
    for (let i = 0; i < 300; i++) {
      buf.fill(i & 0xff);
      expected.update(buf);
      await w.write(buf); // buffered (small): must have been copied
    }
    const digest = `sha256:${expected.digest('hex')}`;
    const ref = await w.commit({ digest: digest as never, size: 300 * 4096 });
    const stored = readFileSync(store.blobPath(ref.digest));
    assert.equal(stored[0], 0);
    assert.equal(stored[299 * 4096], 299 & 0xff);
    assert.equal(sha256Digest(stored), digest);
  });
});

test('finish() reports the digest of exactly what was written, once; writes after it are refused', async () => {
  await withStore(async (store) => {
    const data = bytes(100_000, 3);
    const w = await store.openBlobWriter();
    await w.write(data.subarray(0, 10));
    await w.write(data.subarray(10));
    const a = await w.finish();
    const b = await w.finish();
    assert.deepEqual(a, { digest: sha256Digest(data), size: data.length });
    assert.deepEqual(b, a);
    await assert.rejects(w.write(data), /write after finish/);
    assert.deepEqual(blobFiles(store), [], 'finish does not store anything');
    assert.equal(tmpFiles(store).length, 1);
    await w.commit({ digest: sha256Digest(data), size: data.length });
    assert.deepEqual(blobFiles(store), [sha256Digest(data).slice(7)]);
  });
});

test('after finish(), commit still refuses a wrong digest or size: nothing stored, no temp file', async () => {
  await withStore(async (store) => {
    const data = bytes(5000, 4);
    const other = sha256Digest(bytes(5000, 5));
    for (const expected of [{ digest: other }, { digest: sha256Digest(data), size: 4999 }, { size: 5001 }]) {
      const w = await store.openBlobWriter();
      await w.write(data);
      await w.finish();
      await assert.rejects(w.commit(expected), (e: unknown) => isStrataError(e) && e.code === 'store/digest-mismatch');
      assert.deepEqual(blobFiles(store), []);
      assert.deepEqual(tmpFiles(store), []);
    }
  });
});

test('abort after finish removes the temp file; finish after abort fails', async () => {
  await withStore(async (store) => {
    const w = await store.openBlobWriter();
    await w.write(bytes(10, 1));
    await w.finish();
    await w.abort();
    assert.deepEqual(tmpFiles(store), []);
    const v = await store.openBlobWriter();
    await v.write(bytes(10, 1));
    await v.abort();
    await assert.rejects(v.finish(), /aborted/);
    assert.deepEqual(tmpFiles(store), []);
  });
});

test('a batch committed without per-blob directory syncs, then one syncBlobDirectory: all stored, fsck clean', async () => {
  await withStore(async (store) => {
    const datas = [bytes(10, 1), bytes(2_000_000, 2), bytes(0, 3)];
    const writers = [];
    for (const d of datas) {
      const w = await store.openBlobWriter();
      await w.write(d);
      writers.push(w);
    }
    await Promise.all(writers.map((w) => w.finish()));
    for (const [i, w] of writers.entries()) await w.commit({ digest: sha256Digest(datas[i]!), size: datas[i]!.length }, { syncDirectory: false });
    await store.syncBlobDirectory();
    assert.deepEqual(blobFiles(store).sort(), datas.map((d) => sha256Digest(d).slice(7)).sort());
    assert.deepEqual(tmpFiles(store), []);
    const fsck = await fsckStore(store.root, { graceSeconds: 0 });
    assert.deepEqual(fsck.problems, []);
  });
});
