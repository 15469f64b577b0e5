/**
 * Worker-thread entry of a pull's transfer (ADR 0128): runs transferVerified with the
 * parameters it was started with and posts back the result or the error (a StrataError's
 * fields, rebuilt by the parent). This isolate never loads openpgp.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transferVerified, type TransferParams } from './pull-transfer.js';
import { serializeError } from './worker-errors.js';

const port = parentPort;
if (port) {
  transferVerified(workerData as TransferParams).then(
    (result) => port.postMessage({ ok: true, result }),
    (e: unknown) => port.postMessage({ ok: false, error: serializeError(e) }),
  );
}
