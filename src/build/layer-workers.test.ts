/**
 * ADR 0184: after capturing a large gzip layer, the idle deflate workers are stopped so they
 * hold no memory while the layer is extracted; smaller layers keep them warm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OciStore } from '../store/store.js';
import { sharedDeflatePool } from '../tar/deflate-pool.js';
import { captureLayer, RELEASE_DEFLATE_WORKERS_AFTER, releaseWorkersAfter } from './layer.js';

test('workers are released after gzip layers of 128 MiB and more, never for zstd or plain tar', () => {
  assert.equal(RELEASE_DEFLATE_WORKERS_AFTER, 128 * 1024 * 1024);
  assert.equal(releaseWorkersAfter('gzip', RELEASE_DEFLATE_WORKERS_AFTER), true);
  assert.equal(releaseWorkersAfter('gzip', RELEASE_DEFLATE_WORKERS_AFTER - 1), false);
  assert.equal(releaseWorkersAfter('gzip', 0), false);
  assert.equal(releaseWorkersAfter('zstd', 4 * RELEASE_DEFLATE_WORKERS_AFTER), false);
  assert.equal(releaseWorkersAfter('none', 4 * RELEASE_DEFLATE_WORKERS_AFTER), false);
});

test('captureLayer of a 128 MiB upper leaves no deflate worker running; a 2 MiB one keeps them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-layer-workers-'));
  try {
    const store = await OciStore.open(path.join(dir, 'store'), { create: true });
    const small = path.join(dir, 'small');
    mkdirSync(small);
    // 2 MiB of varied bytes: past the 8 inline blocks, so workers compress some of it
    const bytes = new Uint8Array(2 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(path.join(small, 'f'), bytes);
    assert.ok(await captureLayer(small, store, 1));
    assert.ok(sharedDeflatePool().liveWorkers > 0, 'a 2 MiB layer used the workers and kept them');

    const big = path.join(dir, 'big');
    mkdirSync(big);
    // a sparse file: 128 MiB of zeros, cheap to write, the tar is just over the threshold
    writeFileSync(path.join(big, 'zeros'), '');
    truncateSync(path.join(big, 'zeros'), RELEASE_DEFLATE_WORKERS_AFTER);
    const layer = await captureLayer(big, store, 1);
    assert.ok(layer);
    assert.equal(sharedDeflatePool().liveWorkers, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
