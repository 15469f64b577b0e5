/**
 * The `strata policy` output enforced by a real client: a tiny OCI image (made by hand here)
 * is pushed to Debian's docker-registry on 127.0.0.1, signed by strata into a lookaside
 * directory, and pulled with `skopeo copy --policy --registries.d` using the generated files:
 * 1-of-N accepts one maintainer's signature, N-of-N (--all-of) needs all, no signature fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { signDigest } from './sign.js';
import { armoredPublic, generateTestKey, type TestKey } from './test-keys.js';

let root: string;
let registry: ChildProcess | undefined;
let host: string;
let alice: TestKey;
let bob: TestKey;
let digest: string;

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('docker-registry did not start');
}

/** A valid one-layer OCI image layout (the layer is an empty tar archive). */
async function makeLayout(dir: string, tag: string): Promise<string> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = async (b: Buffer): Promise<string> => {
    const h = sha(b);
    await fs.writeFile(path.join(blobs, h), b);
    return h;
  };
  const layer = Buffer.alloc(1024); // an empty tar: two zero blocks
  const layerHex = await put(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerHex}`] },
      history: [{ created: '1970-01-01T00:00:01Z', created_by: 'strata test' }],
      created: '1970-01-01T00:00:01Z',
    }),
  );
  const configHex = await put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerHex}`, size: layer.length }],
    }),
  );
  const manifestHex = await put(manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fs.writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestHex}`,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return `sha256:${manifestHex}`;
}

function skopeo(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', env: { ...process.env, HOME: root } });
  return { status: r.status, stderr: r.stderr };
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-policy-'));
  [alice, bob] = await Promise.all([generateTestKey({ name: 'Alice' }), generateTestKey({ name: 'Bob' })]);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = path.join(root, 'registry.yml');
  await fs.writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(root, 'registry')}\nhttp:\n  addr: ${host}\n`,
  );
  registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  await waitForRegistry(`http://${host}/v2/`);

  digest = await makeLayout(path.join(root, 'layout'), '1.0');
  const accept = path.join(root, 'accept.json');
  await fs.writeFile(accept, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  for (const image of ['core-signed', 'core-unsigned']) {
    const r = skopeo(['copy', '--quiet', '--preserve-digests', '--policy', accept, '--dest-tls-verify=false', 'oci:' + path.join(root, 'layout') + ':1.0', `docker://${host}/stagex/${image}:1.0`]);
    assert.equal(r.status, 0, r.stderr);
  }

  // the tree: two maintainers, their keys
  const tree = path.join(root, 'tree');
  await fs.mkdir(path.join(tree, 'keys'), { recursive: true });
  await fs.writeFile(
    path.join(tree, 'MAINTAINERS'),
    `[people.alice]\nName = Alice\n[people.bob]\nName = Bob\n[keys.alice.a]\nID = ${alice.getFingerprint()}\n[keys.bob.b]\nID = ${bob.getFingerprint()}\n`,
  );
  await fs.writeFile(path.join(tree, 'keys', 'alice.asc'), armoredPublic(alice));
  await fs.writeFile(path.join(tree, 'keys', 'bob.asc'), armoredPublic(bob));
});

after(async () => {
  if (registry?.pid) registry.kill('SIGTERM');
  await fs.rm(root, { recursive: true, force: true });
});

async function writePolicy(out: string, sigs: string, allOf: boolean): Promise<void> {
  const io = bufferIO({}, root);
  const argv = ['policy', '--tree', path.join(root, 'tree'), '--out', out, '--registry', host, '--lookaside', sigs, ...(allOf ? ['--all-of'] : [])];
  assert.equal(await main(argv, io), 0, io.stderr());
}

function pull(policyDir: string, image: string): { status: number | null; stderr: string } {
  return skopeo([
    'copy',
    '--quiet',
    '--remove-signatures',
    '--src-tls-verify=false',
    '--policy',
    path.join(policyDir, 'policy.json'),
    '--registries.d',
    path.join(policyDir, 'registries.d'),
    `docker://${host}/stagex/${image}:1.0`,
    `oci:${path.join(root, 'pulled-' + path.basename(policyDir) + '-' + image)}:1.0`,
  ]);
}

test('skopeo copy enforces the generated policy: 1-of-N, N-of-N, unsigned', async () => {
  const sigs = path.join(root, 'signatures');
  const base = { version: '1.0', digest, namespace: 'stagex', signaturesDir: sigs };
  await signDigest({ ...base, image: 'core-signed', signer: { kind: 'key', privateKey: alice } });

  const anyOf = path.join(root, 'policy-any');
  await writePolicy(anyOf, sigs, false);
  const ok = pull(anyOf, 'core-signed');
  assert.equal(ok.status, 0, ok.stderr);
  const unsigned = pull(anyOf, 'core-unsigned');
  assert.notEqual(unsigned.status, 0);
  assert.match(unsigned.stderr, /signature/i);

  const allOf = path.join(root, 'policy-all');
  await writePolicy(allOf, sigs, true);
  const half = pull(allOf, 'core-signed');
  assert.notEqual(half.status, 0, 'N-of-N must refuse one signature of two');
  await signDigest({ ...base, image: 'core-signed', signer: { kind: 'key', privateKey: bob } });
  const both = pull(allOf, 'core-signed');
  assert.equal(both.status, 0, both.stderr);
});
