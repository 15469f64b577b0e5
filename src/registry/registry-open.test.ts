// Round trips against a real registry (Debian's docker-registry, distribution 2.8) on
// 127.0.0.1, with a counting proxy in front; skopeo as a foreign client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryClient } from './client.js';
import { pushImage, pullImage, type PullTarget } from './image-transfer.js';
import { bufferBlobSource, memorySink } from './sources.js';
import { sha256Of } from './content-digest.js';
import { startRegistry, type RunningRegistry } from './testsupport/registry-server.js';
import { startProxy, type RunningProxy } from './testsupport/proxy.js';
import { makeTestImage, writeOciLayout } from './testsupport/test-image.js';
import { isStrataError } from '../errors.js';

let registry: RunningRegistry;
let proxy: RunningProxy;

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy(registry.port);
});
after(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const fast = { retries: 2, retryBaseDelayMs: 5, retryMaxDelayMs: 20 };

function uploads(from: number): { method: string; url: string }[] {
  return proxy.requests.slice(from).filter((r) => r.url.includes('/blobs/uploads/') || (r.method === 'PUT' && r.url.includes('/manifests/')));
}

/** A pull target in memory. */
function memoryTarget(): PullTarget & { blobs: Map<string, Buffer> } {
  const blobs = new Map<string, Buffer>();
  return {
    blobs,
    hasBlob: async (d) => blobs.has(d),
    openBlob: async (desc) => {
      const sink = memorySink();
      return {
        write: (c) => sink.write(c),
        commit: () => {
          sink.commit?.();
          blobs.set(desc.digest, sink.result()!);
        },
        abort: (r) => sink.abort?.(r),
      };
    },
  };
}

test('push blobs and manifest, pull back identical bytes', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    await client.ping();
    const image = makeTestImage('round-trip', 2);
    const report = await pushImage(client, 'stagex/core-round', image, { tags: ['1.0', 'latest'] });
    assert.equal(report.digest, image.digest);
    assert.equal(report.uploaded.length, 3);
    assert.deepEqual(report.manifestsPut, ['1.0', 'latest']);

    const byTag = await client.getManifest('stagex/core-round', 'latest');
    assert.equal(byTag.digest, image.digest);
    assert.deepEqual(byTag.bytes, image.manifestBytes);
    assert.equal(byTag.mediaType, 'application/vnd.oci.image.manifest.v1+json');

    const target = memoryTarget();
    const pulled = await pullImage(client, 'stagex/core-round', image.digest, target);
    assert.equal(pulled.root.digest, image.digest);
    assert.deepEqual(target.blobs.get(sha256Of(image.config)), image.config);
    for (const l of image.layers) assert.deepEqual(target.blobs.get(sha256Of(l)), l);
    assert.deepEqual(target.blobs.get(image.digest), image.manifestBytes);
    assert.deepEqual((await client.listTags('stagex/core-round')).sort(), ['1.0', 'latest']);
  } finally {
    client.close();
  }
});

test('Docker media types and an OCI index with two platform manifests: push, pull everything back', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    const amd = makeTestImage('index-amd64', 1);
    const dockerManifest = Buffer.from(
      image2docker(amd.manifestBytes.toString('utf8')),
    );
    const arm = makeTestImage('index-arm64', 1);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha256Of(dockerManifest), size: dockerManifest.length, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: arm.manifestBytes.length, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    );
    const report = await pushImage(
      client,
      'stagex/multi',
      {
        blobs: [...amd.blobs, ...arm.blobs],
        children: [
          { bytes: dockerManifest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
          { bytes: arm.manifestBytes, mediaType: arm.manifest.mediaType },
        ],
        manifest: { bytes: index, mediaType: 'application/vnd.oci.image.index.v1+json' },
      },
      { tags: ['multi'] },
    );
    assert.equal(report.manifestsPut.length, 3);
    const child = await client.getManifest('stagex/multi', sha256Of(dockerManifest));
    assert.equal(child.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const target = memoryTarget();
    const pulled = await pullImage(client, 'stagex/multi', 'multi', target);
    assert.equal(pulled.root.digest, sha256Of(index));
    assert.equal(pulled.root.mediaType, 'application/vnd.oci.image.index.v1+json');
    for (const b of [index, dockerManifest, arm.manifestBytes, amd.config, arm.config, ...amd.layers, ...arm.layers]) assert.deepEqual(target.blobs.get(sha256Of(b)), b);
  } finally {
    client.close();
  }
});

/** The same manifest with Docker schema 2 media types. */
function image2docker(oci: string): string {
  return oci
    .replace('application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json')
    .replace('application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json')
    .replaceAll('application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip');
}

test('a second push uploads nothing (HEAD finds every blob and the tag already points at the manifest)', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    const image = makeTestImage('idempotent', 2);
    await pushImage(client, 'stagex/core-idem', image, { tags: ['1'] });
    const mark = proxy.requests.length;
    const again = await pushImage(client, 'stagex/core-idem', image, { tags: ['1'] });
    assert.deepEqual(again.uploaded, []);
    assert.equal(again.skipped.length, 3);
    assert.deepEqual(again.manifestsPut, []);
    assert.deepEqual(uploads(mark), []);
  } finally {
    client.close();
  }
});

test('chunked upload path: PATCH per chunk with Content-Range, then PUT', async () => {
  const client = new RegistryClient(proxy.host, { ...fast, chunkSize: 1000 });
  try {
    const big = Buffer.alloc(3500);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    const blob = bufferBlobSource(big);
    const mark = proxy.requests.length;
    assert.equal(await client.pushBlob('stagex/chunked', blob), 'uploaded');
    const patches = proxy.requests.slice(mark).filter((r) => r.method === 'PATCH');
    assert.deepEqual(patches.map((p) => p.headers['content-range']), ['0-999', '1000-1999', '2000-2999', '3000-3499']);
    const back = await client.fetchBlobBytes('stagex/chunked', { digest: blob.digest, size: big.length });
    assert.deepEqual(back, big);
  } finally {
    client.close();
  }
});

test('a local blob that does not match its digest is never completed on the registry: registry/source-mismatch', async () => {
  for (const chunkSize of [undefined, 8]) {
    const client = new RegistryClient(proxy.host, { ...fast, ...(chunkSize ? { chunkSize } : {}) });
    try {
      const good = bufferBlobSource(Buffer.from(`the bytes we claim to have ${chunkSize}\n`));
      const corrupt = { ...good, open: async function* () { yield Buffer.from(`the bytes we really have! ${chunkSize}\n`); } };
      await assert.rejects(client.pushBlob('stagex/corrupt', corrupt), (e: unknown) => isStrataError(e) && e.code === 'registry/source-mismatch' && e.exitCode === 1);
      assert.equal(await client.blobExists('stagex/corrupt', good.digest), undefined);
    } finally {
      client.close();
    }
  }
});

test('cross-repository mount: the blob is not uploaded again', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    const blob = bufferBlobSource(Buffer.from('a layer shared between two images\n'));
    assert.equal(await client.pushBlob('stagex/mount-source', blob), 'uploaded');
    const mark = proxy.requests.length;
    assert.equal(await client.pushBlob('stagex/mount-target', blob, ['stagex/mount-source']), 'mounted');
    const after = uploads(mark);
    assert.equal(after.length, 1);
    assert.equal(after[0]!.method, 'POST');
    assert.match(after[0]!.url, /mount=sha256%3A[0-9a-f]{64}&from=stagex%2Fmount-source/);
    assert.ok(await client.blobExists('stagex/mount-target', blob.digest));
  } finally {
    client.close();
  }
});

test('mount from a repository without the blob falls back to an upload in the session the registry opened', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    const blob = bufferBlobSource(Buffer.from('nobody has this one yet\n'));
    const mark = proxy.requests.length;
    assert.equal(await client.pushBlob('stagex/mount-fallback', blob, ['stagex/empty-repo']), 'uploaded');
    const posts = uploads(mark).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, 'no second POST: the 202 session is reused');
    assert.deepEqual(await client.fetchBlobBytes('stagex/mount-fallback', { digest: blob.digest, size: 24 }), Buffer.from('nobody has this one yet\n'));
  } finally {
    client.close();
  }
});

test('tag listing follows Link pagination (pages served by the proxy: distribution 2.8 does not paginate tags)', async () => {
  const client = new RegistryClient(proxy.host, fast);
  const all = ['a', 'b', 'c', 'd', 'e'];
  try {
    proxy.rule = (req, res) => {
      if (!req.url.startsWith('/v2/stagex/paged/tags/list')) return false;
      const q = new URL(req.url, 'http://x').searchParams;
      const n = Number(q.get('n') ?? '100');
      const last = q.get('last');
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length) headers.link = `</v2/stagex/paged/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ name: 'stagex/paged', tags: page }));
      return true;
    };
    const mark = proxy.requests.length;
    assert.deepEqual(await client.listTags('stagex/paged', 2), all);
    assert.equal(proxy.requests.slice(mark).length, 3);

    proxy.rule = (req, res) => {
      if (!req.url.startsWith('/v2/stagex/paged/tags/list')) return false;
      res.writeHead(200, { link: '<http://127.0.0.1:1/v2/stagex/paged/tags/list?last=a>; rel="next"' }).end('{"tags":["a"]}');
      return true;
    };
    await assert.rejects(client.listTags('stagex/paged'), (e: unknown) => isStrataError(e) && e.code === 'registry/bad-response' && /another origin/.test(e.message));
  } finally {
    proxy.rule = undefined;
    client.close();
  }
});

test('distribution error codes become StrataErrors with the code and HTTP status', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    await assert.rejects(client.getManifest('stagex/core-round', 'no-such-tag'), (e: unknown) => {
      assert.ok(isStrataError(e));
      assert.equal(e.code, 'registry/manifest-unknown');
      assert.match(e.message, /MANIFEST_UNKNOWN.*HTTP 404/);
      return true;
    });
    assert.equal(await client.blobExists('stagex/core-round', `sha256:${'0'.repeat(64)}`), undefined);
    assert.equal(await client.headManifest('stagex/core-round', 'no-such-tag'), undefined);
  } finally {
    client.close();
  }
});

test('a manifest referencing a missing blob is refused by the registry (MANIFEST_BLOB_UNKNOWN)', async () => {
  const client = new RegistryClient(proxy.host, fast);
  try {
    const image = makeTestImage('missing-blob', 1);
    await assert.rejects(client.putManifest('stagex/missing', 'x', image.manifestBytes, image.manifest.mediaType), (e: unknown) => {
      assert.ok(isStrataError(e));
      assert.match(e.code, /^registry\/(manifest-blob-unknown|blob-unknown)$/);
      assert.match(e.message, /HTTP 400/);
      return true;
    });
  } finally {
    client.close();
  }
});

test('retries: 503 and 429 (Retry-After) and a reset connection are retried, bounded', async () => {
  const client = new RegistryClient(proxy.host, { ...fast, retries: 3 });
  try {
    const image = makeTestImage('retry', 1);
    await pushImage(client, 'stagex/retry', image, { tags: ['1'] });
    let failures = 0;
    proxy.rule = (req, res) => {
      if (!req.url.includes('/manifests/1') || failures >= 3) return false;
      failures++;
      if (failures === 1) res.writeHead(503).end();
      else if (failures === 2) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.socket?.destroy();
      return true;
    };
    const m = await client.getManifest('stagex/retry', '1');
    assert.equal(m.digest, image.digest);
    assert.equal(failures, 3);

    proxy.rule = (req, res) => {
      if (!req.url.includes('/manifests/1')) return false;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}');
      return true;
    };
    await assert.rejects(client.getManifest('stagex/retry', '1'), (e: unknown) => {
      assert.ok(isStrataError(e));
      assert.equal(e.code, 'registry/unavailable');
      assert.match(e.message, /HTTP 503/);
      return true;
    });
  } finally {
    proxy.rule = undefined;
    client.close();
  }
});

test('skopeo interop: pushed by skopeo, pulled by strata with the same digests; pushed by strata, inspected by skopeo', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-skopeo-'));
  const client = new RegistryClient(registry.host, fast);
  try {
    const image = makeTestImage('skopeo', 2);
    writeOciLayout(path.join(dir, 'layout'), image, 'v1');
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${path.join(dir, 'layout')}:v1`, `docker://${registry.host}/stagex/from-skopeo:v1`], { stdio: 'pipe' });
    const target = memoryTarget();
    const pulled = await pullImage(client, 'stagex/from-skopeo', 'v1', target);
    assert.equal(pulled.root.digest, image.digest);
    for (const b of [image.config, ...image.layers]) assert.deepEqual(target.blobs.get(sha256Of(b)), b);

    const other = makeTestImage('to-skopeo', 1);
    await pushImage(client, 'stagex/to-skopeo', other, { tags: ['2.0'] });
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/stagex/to-skopeo:2.0`], { encoding: 'utf8' })) as { Digest: string };
    assert.equal(inspect.Digest, other.digest);
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
