// A tampering proxy between the client and a real registry: every kind of bad answer is
// rejected with a clear code, and nothing unverified reaches the sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from './client.js';
import { pushImage, pullImage } from './image-transfer.js';
import { memorySink } from './sources.js';
import { sha256Of } from './content-digest.js';
import { startRegistry, type RunningRegistry } from './testsupport/registry-server.js';
import { startProxy, startRecorder, type RunningProxy, type ProxyRule } from './testsupport/proxy.js';
import { makeTestImage, type TestImage } from './testsupport/test-image.js';
import { isStrataError } from '../errors.js';

let registry: RunningRegistry;
let proxy: RunningProxy;
let image: TestImage;
const REPO = 'stagex/tamper';

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy(registry.port);
  image = makeTestImage('tamper', 1, 4096);
  const client = new RegistryClient(registry.host);
  try {
    await pushImage(client, REPO, image, { tags: ['1'] });
  } finally {
    client.close();
  }
});
after(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const layer = () => ({ digest: sha256Of(image.layers[0]!), size: image.layers[0]!.length });

async function withRule<T>(rule: ProxyRule, body: (client: RegistryClient) => Promise<T>, options = {}): Promise<T> {
  const client = new RegistryClient(proxy.host, { retries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...options });
  proxy.rule = rule;
  try {
    return await body(client);
  } finally {
    proxy.rule = undefined;
    client.close();
  }
}

function code(c: string, msg?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(isStrataError(e), String(e));
    assert.equal(e.code, c, e.format());
    if (msg) assert.match(e.format(), msg);
    return true;
  };
}

const isBlob = (url: string) => url.includes('/blobs/sha256:');

/** A blob GET whose connection is cut after the first 100 bytes of the body. */
const cutBlobAfter100Bytes: ProxyRule = async (req, res, upstream) => {
  if (req.method !== 'GET' || !isBlob(req.url)) return false;
  const up = await upstream();
  res.writeHead(up.status, up.headers);
  res.write(up.body.subarray(0, 100));
  setImmediate(() => res.socket?.destroy());
  return true;
};

const isManifest = (url: string) => url.includes('/manifests/');

test('wrong blob bytes (same length): registry/digest-mismatch, sink aborted, nothing committed', async () => {
  const sink = memorySink();
  await withRule(
    async (req, res, upstream) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      const up = await upstream();
      const body = Buffer.from(up.body);
      body[body.length - 1] = body[body.length - 1]! ^ 0xff;
      res.writeHead(up.status, up.headers).end(body);
      return true;
    },
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), sink), code('registry/digest-mismatch', /hash to sha256:/)),
  );
  assert.equal(sink.result(), undefined);
  assert.ok(sink.aborted());
});

test('a tampered layer stops a whole pull: the target gets neither the layer nor the manifest', async () => {
  const committed = new Set<string>();
  await withRule(
    async (req, res, upstream) => {
      if (req.method !== 'GET' || !req.url.includes(layer().digest)) return false;
      const up = await upstream();
      res.writeHead(up.status, up.headers).end(Buffer.alloc(up.body.length, 0x41));
      return true;
    },
    (client) =>
      assert.rejects(
        pullImage(client, REPO, image.digest, {
          hasBlob: async () => false,
          openBlob: async (d) => ({ write: () => undefined, commit: () => void committed.add(d.digest) }),
        }),
        code('registry/digest-mismatch'),
      ),
  );
  assert.ok(!committed.has(layer().digest));
  assert.ok(!committed.has(image.digest));
});

test('a manifest whose bytes do not match the digest asked for: registry/digest-mismatch', async () => {
  const altered = Buffer.from(image.manifestBytes.toString('utf8').replace('"schemaVersion":2', '"schemaVersion":2 '));
  await withRule(
    async (req, res, upstream) => {
      if (!isManifest(req.url)) return false;
      const up = await upstream();
      res.writeHead(up.status, { ...up.headers, 'content-length': String(altered.length) }).end(altered);
      return true;
    },
    async (client) => {
      await assert.rejects(client.getManifest(REPO, image.digest), code('registry/digest-mismatch', /manifest/));
      // by tag: the registry's Docker-Content-Digest still names the real digest
      await assert.rejects(client.getManifest(REPO, '1'), code('registry/digest-mismatch'));
    },
  );
});

test('a truncated body (connection cut mid-blob): registry/truncated-body', async () => {
  const sink = memorySink();
  await withRule(
    cutBlobAfter100Bytes,
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), sink), code('registry/truncated-body')),
  );
  assert.equal(sink.result(), undefined);
});

test('a body shorter than the descriptor with a matching Content-Length: registry/truncated-body before reading', async () => {
  await withRule(
    async (req, res, upstream) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      const up = await upstream();
      const short = up.body.subarray(0, 10);
      res.writeHead(200, { 'content-length': String(short.length) }).end(short);
      return true;
    },
    (client) => assert.rejects(client.fetchBlobBytes(REPO, layer()), code('registry/truncated-body', /announces 10 bytes/)),
  );
});

test('a 50 MB manifest: registry/manifest-too-large, announced or streamed', async () => {
  const FIFTY_MB = 50 * 1024 * 1024;
  await withRule(
    (req, res) => {
      if (!isManifest(req.url)) return false;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(FIFTY_MB) });
      res.write(Buffer.alloc(1024, 0x20));
      return true; // never finished: the client must not wait for it
    },
    (client) => assert.rejects(client.getManifest(REPO, '1'), code('registry/manifest-too-large', /52428800 bytes announced/)),
  );
  let sent = 0;
  await withRule(
    (req, res) => {
      if (!isManifest(req.url)) return false;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }); // chunked, no length
      const piece = Buffer.alloc(256 * 1024, 0x20);
      const pump = (): void => {
        while (sent < FIFTY_MB && !res.destroyed) {
          sent += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return true;
    },
    (client) => assert.rejects(client.getManifest(REPO, '1'), code('registry/manifest-too-large', /more bytes arrived/)),
  );
  assert.ok(sent < FIFTY_MB, 'the client stopped reading long before 50 MB');
});

test('a redirect to another port serving other bytes: followed without credentials, then registry/digest-mismatch', async () => {
  const other = makeTestImage('impostor', 1);
  const impostor = await startRecorder((_req, res) => res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(other.manifestBytes));
  try {
    await withRule(
      (req, res) => {
        if (!isManifest(req.url)) return false;
        res.writeHead(307, { location: `${impostor.origin}${req.url}` }).end();
        return true;
      },
      (client) => assert.rejects(client.getManifest(REPO, image.digest), code('registry/digest-mismatch')),
    );
    assert.equal(impostor.requests.length, 1);
  } finally {
    await impostor.stop();
  }
});

test('a redirect loop: registry/too-many-redirects', async () => {
  await withRule(
    (req, res) => {
      if (!isBlob(req.url)) return false;
      res.writeHead(302, { location: req.url }).end();
      return true;
    },
    (client) => assert.rejects(client.fetchBlobBytes(REPO, layer()), code('registry/too-many-redirects')),
  );
});

test('an endless chunked blob body: registry/size-exceeded as soon as the size is passed', async () => {
  let sent = 0;
  const sink = memorySink();
  await withRule(
    (req, res) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const piece = Buffer.alloc(64 * 1024, 0x42);
      const pump = (): void => {
        while (!res.destroyed && sent < 1024 * 1024 * 1024) {
          sent += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => undefined);
      pump();
      return true;
    },
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), sink), code('registry/size-exceeded')),
  );
  assert.equal(sink.result(), undefined);
  assert.ok(sink.aborted());
});

test('a stalled body: registry/idle-timeout instead of hanging', async () => {
  await withRule(
    (req, res) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      res.writeHead(200, { 'content-length': String(layer().size) });
      res.write(Buffer.alloc(10));
      return true; // and then nothing, ever
    },
    (client) => assert.rejects(client.fetchBlobBytes(REPO, layer()), code('registry/idle-timeout')),
    { idleTimeoutMs: 200 },
  );
});

test('a registry that stores a different digest than pushed: registry/digest-mismatch on upload', async () => {
  await withRule(
    async (req, res, upstream) => {
      if (req.method !== 'PUT' || !isManifest(req.url)) return false;
      const up = await upstream();
      res.writeHead(up.status, { ...up.headers, 'docker-content-digest': `sha256:${'e'.repeat(64)}` }).end(up.body);
      return true;
    },
    (client) => assert.rejects(client.putManifest(REPO, 'other', image.manifestBytes, image.manifest.mediaType), code('registry/digest-mismatch')),
  );
});

/** A sink that hashes what it is given and offers the digest (as the store's writer does). */
function hashingSink(lie?: (h: { digest: string; size: number }) => { digest: string; size: number }) {
  const inner = memorySink();
  const written: Buffer[] = [];
  let finished = 0;
  return {
    write: (c: Uint8Array) => {
      written.push(Buffer.from(c));
      inner.write(c);
    },
    finish: async () => {
      finished++;
      const bytes = Buffer.concat(written);
      const h = { digest: sha256Of(bytes), size: bytes.length };
      return lie ? lie(h) : h;
    },
    commit: () => void inner.commit?.(),
    abort: (reason?: unknown) => void inner.abort?.(reason),
    result: () => inner.result(),
    aborted: () => inner.aborted(),
    finishedCount: () => finished,
  };
}

test('a sink that hashes: good bytes commit after one finish(); wrong bytes are registry/digest-mismatch and aborted', async () => {
  const good = hashingSink();
  await withRule(async () => false, (client) => client.fetchBlob(REPO, layer(), good));
  assert.equal(good.finishedCount(), 1);
  assert.ok(good.result()?.equals(image.layers[0]!));

  const bad = hashingSink();
  await withRule(
    async (req, res, upstream) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      const up = await upstream();
      const body = Buffer.from(up.body);
      body[0] = body[0]! ^ 0x01;
      res.writeHead(up.status, up.headers).end(body);
      return true;
    },
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), bad), code('registry/digest-mismatch', /hash to sha256:/)),
  );
  assert.equal(bad.result(), undefined);
  assert.ok(bad.aborted());
});

test('a sink that hashes: truncated and endless bodies fail before finish() is asked', async () => {
  const cut = hashingSink();
  await withRule(
    cutBlobAfter100Bytes,
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), cut), code('registry/truncated-body')),
  );
  assert.equal(cut.finishedCount(), 0);
  assert.ok(cut.aborted());

  const endless = hashingSink();
  await withRule(
    (req, res) => {
      if (req.method !== 'GET' || !isBlob(req.url)) return false;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const piece = Buffer.alloc(64 * 1024, 0x42);
      const pump = (): void => {
        while (!res.destroyed) if (!res.write(piece)) return void res.once('drain', pump);
      };
      pump();
      return true;
    },
    (client) => assert.rejects(client.fetchBlob(REPO, layer(), endless), code('registry/size-exceeded')),
  );
  assert.equal(endless.finishedCount(), 0);
  assert.ok(endless.aborted());
});

test('a sink whose finish() does not cover the bytes received: registry/sink-mismatch, or the digest is compared as usual', async () => {
  const short = hashingSink((h) => ({ ...h, size: h.size - 1 }));
  await withRule(async () => false, (client) => assert.rejects(client.fetchBlob(REPO, layer(), short), code('registry/sink-mismatch')));
  assert.ok(short.aborted());
  assert.equal(short.result(), undefined);

  const wrong = hashingSink((h) => ({ ...h, digest: `sha256:${'0'.repeat(64)}` }));
  await withRule(async () => false, (client) => assert.rejects(client.fetchBlob(REPO, layer(), wrong), code('registry/digest-mismatch')));
  assert.ok(wrong.aborted());
});
