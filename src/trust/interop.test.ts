/**
 * Interop with the real containers clients: a signature written by strata verifies with
 * `skopeo standalone-verify` (gpgme); a signature written by `skopeo standalone-sign`
 * (gpg) is accepted by `strata check`; strata signs through gpg-agent too.
 * Keys are generated here and imported into a temporary GNUPGHOME.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkTree } from './check.js';
import { parseLookasideBase, signatureDir, writeSignature } from './lookaside.js';
import { signDigest } from './sign.js';
import { armoredPublic, generateTestKey, type TestKey } from './test-keys.js';

let root: string;
let gnupg: string;
let alice: TestKey;
let bob: TestKey;
let manifestFile: string;
let digest: string;
const IMAGE = 'core-interop';
const REF = `stagex/${IMAGE}:1.0`;

function run(cmd: string, args: string[], input?: string | Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, env: { ...process.env, GNUPGHOME: gnupg }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-interop-'));
  gnupg = await fs.mkdtemp(path.join(os.tmpdir(), 'gh-'));
  await fs.chmod(gnupg, 0o700);
  [alice, bob] = await Promise.all([generateTestKey({ name: 'Alice' }), generateTestKey({ name: 'Bob' })]);
  // gpg gets alice's secret key (so skopeo/gpg can sign) and bob's public key.
  const imp = run('gpg', ['--batch', '--import'], alice.armor());
  assert.equal(imp.status, 0, imp.stderr);
  const impB = run('gpg', ['--batch', '--import'], armoredPublic(bob));
  assert.equal(impB.status, 0, impB.stderr);

  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
    layers: [],
  });
  manifestFile = path.join(root, 'manifest.json');
  await fs.writeFile(manifestFile, manifest);
  digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

  await fs.writeFile(path.join(root, 'MAINTAINERS'), `[people.alice]\nName = Alice\n[people.bob]\nName = Bob\n[keys.alice.a]\nID = ${alice.getFingerprint()}\n[keys.bob.b]\nID = ${bob.getFingerprint()}\n`);
  await fs.mkdir(path.join(root, 'keys'));
  await fs.writeFile(path.join(root, 'keys', 'alice.asc'), armoredPublic(alice));
  await fs.writeFile(path.join(root, 'keys', 'bob.asc'), armoredPublic(bob));
  await fs.mkdir(path.join(root, 'digests'));
  await fs.writeFile(path.join(root, 'digests', 'core.txt'), `${digest.slice(7)} ${IMAGE}\n`);
});

after(async () => {
  spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']);
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(gnupg, { recursive: true, force: true });
});

test('a signature written by strata verifies with skopeo standalone-verify', async () => {
  const sigs = path.join(root, 'sigs-strata');
  const r = await signDigest({ image: IMAGE, version: '1.0', digest, namespace: 'stagex', signer: { kind: 'key', privateKey: bob }, signaturesDir: sigs });
  assert.equal(r.status, 'signed');
  const file = path.join(sigs, signatureDir(`stagex/${IMAGE}`, digest), 'signature-1');
  const v = run('skopeo', ['standalone-verify', manifestFile, REF, bob.getFingerprint().toUpperCase(), file]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`Signature verified.*${digest}`));
  // and skopeo refuses it for another reference (the check is real)
  const w = run('skopeo', ['standalone-verify', manifestFile, `stagex/other:1.0`, bob.getFingerprint().toUpperCase(), file]);
  assert.notEqual(w.status, 0);
});

test('a signature written by skopeo standalone-sign (gpg) is accepted by strata check', async () => {
  const sigs = path.join(root, 'sigs-skopeo');
  const out = path.join(root, 'skopeo.sig');
  const s = run('skopeo', ['standalone-sign', '--output', out, manifestFile, `docker.io/${REF}`, alice.getFingerprint().toUpperCase()]);
  assert.equal(s.status, 0, s.stderr);
  await writeSignature(sigs, `stagex/${IMAGE}`, digest, await fs.readFile(out));
  await signDigest({ image: IMAGE, version: '1.0', digest, namespace: 'stagex', signer: { kind: 'key', privateKey: bob }, signaturesDir: sigs });
  const report = await checkTree({ tree: root, images: 'all', signatures: parseLookasideBase(sigs, root) });
  assert.deepEqual(report.results[0]!.rejected, []);
  assert.deepEqual(report.results[0]!.accepted.map((a) => a.handle), ['alice', 'bob']);
  assert.equal(report.ok, true);
});

test('a gpg signature made after the signing date (gpg stamps its own clock) passes the self-check', async () => {
  // main-job.sh failed this way when the second changed between the date and gpg's signing
  const sigs = path.join(root, 'sigs-gpg-late');
  const signer = { kind: 'gpg' as const, fingerprint: alice.getFingerprint(), gnupgHome: gnupg };
  const r = await signDigest({ image: IMAGE, version: '1.0', digest, namespace: 'stagex', signer, signaturesDir: sigs, date: new Date(Date.now() - 5_000) });
  assert.equal(r.status, 'signed');
});

test('strata signs through gpg (gpg-agent holds the key) and skips what it already signed', async () => {
  const sigs = path.join(root, 'sigs-gpg');
  const signer = { kind: 'gpg' as const, fingerprint: alice.getFingerprint(), gnupgHome: gnupg };
  const first = await signDigest({ image: IMAGE, version: '1.0', digest, namespace: 'stagex', signer, signaturesDir: sigs });
  assert.equal(first.status, 'signed');
  const again = await signDigest({ image: IMAGE, version: '1.0', digest, namespace: 'stagex', signer, signaturesDir: sigs });
  assert.equal(again.status, 'already-signed');
  const report = await checkTree({ tree: root, images: 'all', signatures: parseLookasideBase(sigs, root), threshold: 1 });
  assert.deepEqual(report.results[0]!.accepted.map((a) => a.handle), ['alice']);
  const file = path.join(sigs, signatureDir(`stagex/${IMAGE}`, digest), 'signature-1');
  const v = run('skopeo', ['standalone-verify', manifestFile, REF, alice.getFingerprint().toUpperCase(), file]);
  assert.equal(v.status, 0, v.stderr);
});
