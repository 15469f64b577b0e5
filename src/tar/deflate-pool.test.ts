import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { DEFLATE_BLOCK_SIZE as B, DEFLATE_DICTIONARY_SIZE as D, localDeflater } from './block-deflate.js';
import { DeflatePool, type DeflateJob, type DeflateReply, jobInputs, transferList } from './deflate-pool.js';
import { textSample } from './testsupport.js';

/** Post one job to a fresh deflate worker (inputs transferred, as the pool does) and return its reply. */
async function ask(job: DeflateJob): Promise<DeflateReply> {
  const worker = new Worker(new URL('./deflate-worker.js', import.meta.url));
  try {
    const reply = new Promise<DeflateReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    worker.postMessage(job, transferList(jobInputs(job)));
    return await reply;
  } finally {
    await worker.terminate();
  }
}

test('the worker hands the block and dictionary back with the compressed bytes (ADR 0183)', async () => {
  const sample = textSample(D + B, 7);
  const dictionary = sample.slice(0, D);
  const block = sample.slice(D);
  const expected = new Uint8Array(localDeflater().compress(block.slice(), dictionary.slice(), false));
  const job: DeflateJob = { id: 5, block, dictionary, last: false };
  const reply = await ask(job);
  // the inputs left this thread ...
  assert.equal(block.byteLength, 0);
  assert.equal(dictionary.byteLength, 0);
  // ... and came back unchanged, with the same bytes as the in-thread encoder
  assert.equal(reply.id, 5);
  assert.ok('out' in reply);
  assert.deepEqual(reply.out, expected);
  assert.equal(reply.inputs.length, 2);
  assert.deepEqual(reply.inputs[0], sample.subarray(D));
  assert.deepEqual(reply.inputs[1], sample.subarray(0, D));
});

test('a failing job also hands its inputs back, with the error', async () => {
  const block = new Uint8Array(B + 1).fill(3);
  const reply = await ask({ id: 9, block, dictionary: undefined, last: true });
  assert.equal(block.byteLength, 0);
  assert.ok('error' in reply);
  assert.equal(reply.error.code, 'tar/compress-failed');
  assert.equal(reply.inputs.length, 1);
  assert.deepEqual(reply.inputs[0], new Uint8Array(B + 1).fill(3));
});

test('the first block (no dictionary) and an empty last block come back too', async () => {
  const block = textSample(1000, 3);
  const copy = block.slice();
  const reply = await ask({ id: 1, block, dictionary: undefined, last: true });
  assert.ok('out' in reply);
  assert.deepEqual(reply.out, new Uint8Array(localDeflater().compress(copy, undefined, true)));
  assert.deepEqual(reply.inputs, [copy]);
  const empty = await ask({ id: 2, block: new Uint8Array(0), dictionary: undefined, last: true });
  assert.ok('out' in empty);
  assert.deepEqual(empty.inputs, [new Uint8Array(0)]);
});

test('releaseIdle stops idle workers; a later block starts a fresh one, same bytes (ADR 0184)', async () => {
  const pool = new DeflatePool(2);
  try {
    assert.equal(pool.liveWorkers, 0);
    assert.equal(pool.releaseIdle(), 0);
    const data = textSample(B, 11);
    const expected = new Uint8Array(localDeflater().compress(data, undefined, false));
    const two = [pool.compress(data.slice(), undefined, false), pool.compress(data.slice(), undefined, false)];
    assert.equal(pool.liveWorkers, 2);
    // both are busy: nothing to release
    assert.equal(pool.releaseIdle(), 0);
    for (const out of await Promise.all(two)) assert.deepEqual(out, expected);
    assert.equal(pool.releaseIdle(), 2);
    assert.equal(pool.liveWorkers, 0);
    // a released worker's exit is not a failure: the next job gets a fresh worker
    assert.deepEqual(await pool.compress(data.slice(), undefined, false), expected);
    assert.equal(pool.liveWorkers, 1);
  } finally {
    await pool.close();
  }
  assert.equal(pool.liveWorkers, 0);
});

test('releaseIdle leaves a busy worker working', async () => {
  const pool = new DeflatePool(2);
  try {
    const data = textSample(B, 12);
    const expected = new Uint8Array(localDeflater().compress(data, undefined, true));
    await pool.compress(data.slice(), undefined, true);
    const busy = pool.compress(data.slice(), undefined, true);
    assert.equal(pool.liveWorkers, 1);
    assert.equal(pool.releaseIdle(), 0);
    assert.deepEqual(await busy, expected);
  } finally {
    await pool.close();
  }
});
