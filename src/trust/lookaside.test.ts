import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { parseLookasideBase, readSignatures, signatureDir, writeSignature } from './lookaside.js';
import { Keyring, MAX_SIGNATURE_BYTES, verifySignedMessage } from './openpgp.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

test('signatureDir is the containers lookaside layout', () => {
  assert.equal(signatureDir('stagex/core-zlib', DIGEST), `stagex/core-zlib@sha256=${'c'.repeat(64)}`);
  assert.throws(() => signatureDir('../etc', DIGEST));
  assert.throws(() => signatureDir('stagex/x', 'sha256:zz'));
});

test('concurrent writers each get their own signature-N, with no gaps and no overwrite', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-lookaside-'));
  try {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => writeSignature(dir, 'stagex/core-x', DIGEST, new TextEncoder().encode(`sig ${i}`))),
    );
    assert.deepEqual(results.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
    const read = await readSignatures(parseLookasideBase(dir, dir), 'stagex/core-x', DIGEST);
    assert.equal(read.length, 12);
    const texts = new Set(read.map((r) => new TextDecoder().decode(r.bytes)));
    assert.equal(texts.size, 12, 'every write landed intact in its own file');
    const leftovers = (await fs.readdir(path.join(dir, signatureDir('stagex/core-x', DIGEST)))).filter((n) => !n.startsWith('signature-'));
    assert.deepEqual(leftovers, []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('http: a body over the cap, a declared size over the cap, and a server error are rejected; 404 ends the list', async () => {
  const rel = `/stagex/core-x@sha256=${'c'.repeat(64)}`;
  const server = http.createServer((req, res) => {
    if (req.url === `${rel}/signature-1`) {
      // no Content-Length: streamed, so only the reader's cap can stop it
      res.write(Buffer.alloc(MAX_SIGNATURE_BYTES));
      res.end(Buffer.alloc(10));
    } else if (req.url === `${rel}/signature-2`) {
      res.setHeader('content-length', String(100 * 1024 * 1024));
      res.flushHeaders();
      res.destroy();
    } else if (req.url === `${rel}/signature-3`) {
      res.statusCode = 500;
      res.end('boom');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const got = await readSignatures(parseLookasideBase(`http://127.0.0.1:${port}/`, '/'), 'stagex/core-x', DIGEST);
    assert.deepEqual(
      got.map((g) => [g.n, g.rejection?.code]),
      [
        [1, 'trust/signature-too-large'],
        [2, 'trust/signature-too-large'],
        [3, 'trust/signature-unreadable'],
      ],
    );
  } finally {
    server.close();
  }
});

test('an unsigned literal message is not a signed message', async () => {
  const message = await openpgp.createMessage({ binary: new Uint8Array([1, 2, 3]) });
  const bytes = message.write() as Uint8Array;
  const r = await verifySignedMessage(bytes, new Keyring([]), new Date());
  assert.equal(r.ok ? 'ok' : r.rejection.code, 'trust/not-signed-message');
});
