/**
 * Worker thread for verify-pool.ts: rebuilds the keyring from binary key packets, then
 * answers { id, bytes } messages with { id, result } (a VerifyResult).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildKeyring, readPublicKeys, verifySignedMessage } from './openpgp.js';

interface Init {
  readonly keys: Uint8Array[];
  readonly dateMs: number;
}

const init = workerData as Init;
const port = parentPort;
if (!port) throw new Error('verify-worker must run as a worker thread');

const keyringPromise = (async () => {
  const keys = [];
  for (const k of init.keys) keys.push(...(await readPublicKeys(k, 'keyring')));
  return buildKeyring(keys);
})();
const date = new Date(init.dateMs);

port.on('message', (msg: { id: number; bytes: Uint8Array }) => {
  void (async () => {
    try {
      const result = await verifySignedMessage(msg.bytes, await keyringPromise, date);
      port.postMessage({ id: msg.id, result });
    } catch (e) {
      port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
