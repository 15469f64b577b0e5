// Authentication against real registries: htpasswd (Basic) and token (Bearer, with a
// token service written here); credentials from an auth file, never in messages, never
// sent to another origin on a redirect.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { RegistryClient } from './client.js';
import { Credentials } from './credentials.js';
import { pushImage, pullImage } from './image-transfer.js';
import { bufferBlobSource, memorySink } from './sources.js';
import { startRegistry, type RunningRegistry } from './testsupport/registry-server.js';
import { startProxy, startRecorder, type RunningProxy } from './testsupport/proxy.js';
import { startTokenServer, type TokenServer } from './testsupport/token-server.js';
import { makeTestImage } from './testsupport/test-image.js';
import { isStrataError, type StrataError } from '../errors.js';

const USER = 'maintainer';
const PASSWORD = 'S3cret-never-shown';
const fast = { retries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

function expectCode(code: string, check?: (e: StrataError) => void) {
  return (e: unknown): boolean => {
    assert.ok(isStrataError(e), `not a StrataError: ${String(e)}`);
    assert.equal(e.code, code, e.format());
    check?.(e);
    return true;
  };
}

function assertNoSecret(e: StrataError): void {
  for (const text of [e.format(), JSON.stringify(e.toJSON()), inspect(e), String(e.stack)]) {
    assert.ok(!text.includes(PASSWORD), 'the password leaked into an error');
    assert.ok(!text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), 'the encoded password leaked into an error');
  }
}

describe('htpasswd (Basic) registry', () => {
  let registry: RunningRegistry;
  let proxy: RunningProxy;
  let home: string;
  before(async () => {
    registry = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
    proxy = await startProxy(registry.port);
    home = mkdtempSync(path.join(tmpdir(), 'strata-auth-'));
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('without credentials: registry/unauthorized with a login hint', async () => {
    const client = new RegistryClient(proxy.host, fast);
    try {
      await assert.rejects(client.getManifest('stagex/x', 'latest'), expectCode('registry/unauthorized', (e) => assert.match(e.hint ?? '', /login/)));
    } finally {
      client.close();
    }
  });

  test('credentials from REGISTRY_AUTH_FILE: push and pull work', async () => {
    const file = path.join(home, 'auth.json');
    writeFileSync(file, JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    const client = await RegistryClient.withStoredCredentials(proxy.host, 'stagex/basic', { REGISTRY_AUTH_FILE: file, HOME: home }, fast);
    try {
      const image = makeTestImage('basic', 1);
      await pushImage(client, 'stagex/basic', image, { tags: ['1'] });
      const sink = memorySink();
      await client.fetchBlob('stagex/basic', { digest: image.blobs[1]!.digest, size: image.layers[0]!.length }, sink);
      assert.deepEqual(sink.result(), image.layers[0]);
      assert.ok(!inspect(client).includes(PASSWORD));
    } finally {
      client.close();
    }
  });

  test('wrong password: registry/unauthorized, and the password appears nowhere in the error', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, credentials: new Credentials(USER, `${PASSWORD}-wrong`) });
    try {
      await assert.rejects(client.getManifest('stagex/basic', '1'), expectCode('registry/unauthorized', (e) => {
        assert.ok(!e.format().includes(`${PASSWORD}-wrong`));
        assertNoSecret(e);
      }));
    } finally {
      client.close();
    }
  });

  test('a redirect to another origin never carries the Authorization header', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, credentials: new Credentials(USER, PASSWORD) });
    const content = Buffer.from('served from a mirror on another port\n');
    const blob = bufferBlobSource(content);
    const mirror = await startRecorder((_req, res) => res.writeHead(200, { 'content-length': String(content.length) }).end(content));
    try {
      await client.pushBlob('stagex/redirected', blob);
      proxy.rule = (req, res) => {
        if (req.method !== 'GET' || !req.url.includes(`/blobs/${blob.digest}`)) return false;
        if (!req.headers.authorization) return false; // let the 401 challenge through
        res.writeHead(307, { location: `${mirror.origin}/mirror/${blob.digest}?X-Signature=secret` }).end();
        return true;
      };
      const mark = proxy.requests.length;
      const back = await client.fetchBlobBytes('stagex/redirected', { digest: blob.digest, size: content.length });
      assert.deepEqual(back, content);
      assert.ok(proxy.requests.slice(mark).some((r) => r.headers.authorization?.startsWith('Basic ')), 'the registry itself got credentials');
      assert.equal(mirror.requests.length, 1);
      assert.equal(mirror.requests[0]!.headers.authorization, undefined);
      assert.ok(!JSON.stringify(mirror.requests[0]!.headers).includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')));
    } finally {
      proxy.rule = undefined;
      await mirror.stop();
      client.close();
    }
  });

  test('a redirect to plain HTTP off loopback is refused before connecting', async () => {
    const client = new RegistryClient(proxy.host, { ...fast, credentials: new Credentials(USER, PASSWORD) });
    try {
      proxy.rule = (req, res) => {
        if (!req.url.includes('/blobs/')) return false;
        res.writeHead(302, { location: 'http://mirror.example.invalid/blob' }).end();
        return true;
      };
      await assert.rejects(client.fetchBlobBytes('stagex/redirected', { digest: `sha256:${'1'.repeat(64)}`, size: 1 }), expectCode('registry/insecure-redirect'));
    } finally {
      proxy.rule = undefined;
      client.close();
    }
  });
});

describe('token (Bearer) registry', () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  before(async () => {
    tokens = await startTokenServer({ [USER]: PASSWORD });
    registry = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPem: tokens.certPem } });
  });
  after(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  test('anonymous: the token service refuses, registry/unauthorized', async () => {
    const client = new RegistryClient(registry.host, fast);
    try {
      await assert.rejects(client.getManifest('stagex/tok', 'latest'), expectCode('registry/unauthorized'));
    } finally {
      client.close();
    }
  });

  test('wrong password at the token service: registry/unauthorized without the secret', async () => {
    const client = new RegistryClient(registry.host, { ...fast, credentials: new Credentials(USER, 'nope') });
    try {
      await assert.rejects(client.ping(), expectCode('registry/unauthorized', assertNoSecret));
    } finally {
      client.close();
    }
  });

  test('push, pull and mount with scoped tokens, cached per scope', async () => {
    const client = new RegistryClient(registry.host, { ...fast, credentials: new Credentials(USER, PASSWORD) });
    try {
      const mark = tokens.requests.length;
      const image = makeTestImage('bearer', 2);
      await pushImage(client, 'stagex/tok', image, { tags: ['1', '2'] });
      const target = new Map<string, Buffer>();
      await pullImage(client, 'stagex/tok', image.digest, {
        hasBlob: async (d) => target.has(d),
        openBlob: async (desc) => {
          const s = memorySink();
          return { write: (c) => s.write(c), commit: () => { s.commit?.(); target.set(desc.digest, s.result()!); } };
        },
      });
      assert.deepEqual(target.get(image.blobs[1]!.digest), image.layers[0]);
      const asked = tokens.requests.slice(mark);
      // one token for push (pull,push) and one for pull: cached, not one per request
      assert.deepEqual(asked.map((r) => r.scopes.join(' ')).sort(), ['repository:stagex/tok:pull', 'repository:stagex/tok:pull,push']);
      assert.ok(asked.every((r) => r.user === USER));

      const m2 = tokens.requests.length;
      assert.equal(await client.pushBlob('stagex/tok-copy', image.blobs[1]!, ['stagex/tok']), 'mounted');
      const mountScopes = tokens.requests.slice(m2).map((r) => r.scopes.sort().join(' '));
      assert.ok(mountScopes.includes('repository:stagex/tok-copy:pull,push repository:stagex/tok:pull'), mountScopes.join(' | '));
    } finally {
      client.close();
    }
  });
});
