/**
 * Where a pull's transfer runs (ADR 0128): in a worker thread when its options can be
 * cloned (the CLI's always can), else in-process. The worker's isolate has not loaded
 * openpgp.js for the quorum check, so the transfer is not slowed by the old-generation
 * garbage collections that heap causes. Same code, same guarantees either way.
 */
import { Worker } from 'node:worker_threads';
import type { RegistryClientOptions } from '../registry/client.js';
import { transferVerified, type TransferParams, type TransferResult } from './pull-transfer.js';
import { deserializeError, type SerializedError } from './worker-errors.js';

/** Options that may cross to a worker: data only (no credentials object, no callbacks). */
export function cloneableClientOptions(o: RegistryClientOptions): boolean {
  return o.credentials === undefined && Object.values(o).every((v) => typeof v !== 'function');
}

export async function runTransfer(params: TransferParams, inWorker: boolean): Promise<TransferResult> {
  if (!inWorker || !cloneableClientOptions(params.clientOptions)) return transferVerified(params);
  const worker = new Worker(new URL('./pull-worker.js', import.meta.url), { workerData: params });
  type Reply = { ok: true; result: TransferResult } | { ok: false; error: SerializedError };
  return new Promise<TransferResult>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.once('message', (m: Reply) => settle(() => (m.ok ? resolve(m.result) : reject(deserializeError(m.error)))));
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the pull worker stopped (exit code ${code}) before reporting`))));
  });
}
