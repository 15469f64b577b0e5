/**
 * Worker thread of the deflate pool (src/tar/deflate-pool.ts): compresses one block per
 * message with the pinned block format and posts the bytes back (buffer transferred).
 */
import { parentPort } from 'node:worker_threads';
import { BlockDeflater } from './block-deflate.js';
import type { DeflateJob, DeflateReply } from './deflate-pool.js';

const port = parentPort;
if (!port) throw new Error('deflate-worker.js must run as a worker thread');

let deflater: BlockDeflater | undefined;

port.on('message', (job: DeflateJob) => {
  let reply: DeflateReply;
  try {
    deflater ??= new BlockDeflater();
    const compressed = deflater.compress(job.block, job.dictionary, job.last);
    // Transfer only a buffer the output owns whole (never a slice of a shared pool).
    const out = compressed.byteOffset === 0 && compressed.byteLength === compressed.buffer.byteLength ? compressed : new Uint8Array(compressed);
    reply = { id: job.id, out };
    port.postMessage(reply, [out.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as { code?: string; message?: string; hint?: string };
    reply = { id: job.id, error: { code: err.code ?? 'tar/compress-failed', message: err.message ?? String(e), hint: err.hint } };
    port.postMessage(reply);
  }
});
