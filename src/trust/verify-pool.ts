/**
 * Verification on several cores: a small pool of worker threads, each with its own copy of
 * the keyring, verifying signature files in parallel. Results are identical to calling
 * verifySignedMessage in-process (the same function runs in the worker); only speed differs.
 */
import { Worker } from 'node:worker_threads';
import { verifySignedMessage, type Keyring, type VerifyResult } from './openpgp.js';

export type Verifier = {
  verify(bytes: Uint8Array): Promise<VerifyResult>;
  close(): Promise<void>;
};

/** In-process verification (no threads). */
export function localVerifier(keyring: Keyring, date: Date): Verifier {
  return { verify: (bytes) => verifySignedMessage(bytes, keyring, date), close: async () => undefined };
}

/** A pool of `size` worker threads. */
export function workerVerifier(keyring: Keyring, date: Date, size: number): Verifier {
  const workerData = { keys: keyring.exportBinary(), dateMs: date.getTime() };
  const pending = new Map<number, { resolve: (r: VerifyResult) => void; reject: (e: Error) => void }>();
  const load: number[] = [];
  const workers = Array.from({ length: size }, (_, i) => {
    const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData });
    load[i] = 0;
    w.on('message', (m: { id: number; result?: VerifyResult; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      load[i]!--;
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(`verification worker: ${m.error ?? 'no result'}`));
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    return w;
  });
  let nextId = 0;
  return {
    verify(bytes: Uint8Array): Promise<VerifyResult> {
      const id = nextId++;
      // least-loaded worker
      let best = 0;
      for (let i = 1; i < workers.length; i++) if (load[i]! < load[best]!) best = i;
      load[best]!++;
      return new Promise<VerifyResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[best]!.postMessage({ id, bytes });
      });
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
