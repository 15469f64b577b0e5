import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../main.js';
import { bufferIO } from '../io.js';
import { writeSignature } from '../../trust/lookaside.js';
import { armoredPublic, generateTestKey, signReference, type TestKey } from '../../trust/test-keys.js';

let root: string;
let alice: TestKey;
let bob: TestKey;
const GOOD = `sha256:${'1'.repeat(64)}`;
const FEW = `sha256:${'2'.repeat(64)}`;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cli-check-'));
  [alice, bob] = await Promise.all([generateTestKey({ name: 'Alice' }), generateTestKey({ name: 'Bob' })]);
  await fs.writeFile(path.join(root, 'strata.toml'), 'threshold = 2\n');
  await fs.writeFile(
    path.join(root, 'MAINTAINERS'),
    `[people.alice]\nName = Alice A\n[people.bob]\nName = Bob B\n[keys.alice.main]\nID = ${alice.getFingerprint()}\n[keys.bob.main]\nID = ${bob.getFingerprint()}\n`,
  );
  await fs.mkdir(path.join(root, 'keys'));
  await fs.writeFile(path.join(root, 'keys', 'alice.asc'), armoredPublic(alice));
  await fs.writeFile(path.join(root, 'keys', 'bob.asc'), armoredPublic(bob));
  await fs.mkdir(path.join(root, 'digests'));
  await fs.writeFile(path.join(root, 'digests', 'core.txt'), `${GOOD.slice(7)} core-good\n${FEW.slice(7)} core-few\n`.split('\n').sort().filter(Boolean).join('\n') + '\n');
  const sigs = path.join(root, 'signatures');
  await writeSignature(sigs, 'stagex/core-good', GOOD, await signReference('stagex/core-good:1', GOOD, alice));
  await writeSignature(sigs, 'stagex/core-good', GOOD, await signReference('stagex/core-good:1', GOOD, bob));
  await writeSignature(sigs, 'stagex/core-few', FEW, await signReference('stagex/core-few:1', FEW, alice));
  await writeSignature(sigs, 'stagex/core-few', FEW, await signReference('stagex/core-good:1', GOOD, bob));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('check --all prints the table and exits 1 when an image is below the threshold', async () => {
  const io = bufferIO({}, root);
  assert.equal(await main(['check', '--signatures', 'signatures', '--all'], io), 1);
  const out = io.stdout();
  assert.match(out, /^IMAGE\s+DIGEST\s+SIGNED\s+SIGNERS\s+STATUS$/m);
  assert.match(out, /^core-good\s+sha256:1{12}…\s+2\/2\s+Alice A, Bob B\s+ok$/m);
  assert.match(out, /^core-few\s+sha256:2{12}…\s+1\/2\s+Alice A\s+FAIL$/m);
  assert.match(out, /^ {4}rejected signature-2: trust\/identity-mismatch: /m);
  assert.match(out, /1 of 2 images below the threshold of 2 distinct maintainer signatures/);
});

test('check IMAGE exits 0 when it reaches the quorum; --threshold overrides', async () => {
  assert.equal(await main(['check', '--tree', root, '--signatures', path.join(root, 'signatures'), 'core-good'], bufferIO()), 0);
  assert.equal(await main(['check', '--tree', root, '--signatures', path.join(root, 'signatures'), '--threshold', '1', '--all'], bufferIO()), 0);
});

test('check --json gives the same facts', async () => {
  const io = bufferIO({}, root);
  assert.equal(await main(['check', '--signatures', 'signatures', '--all', '--json'], io), 1);
  const j = JSON.parse(io.stdout()) as {
    ok: boolean;
    threshold: number;
    images: Array<{ image: string; ok: boolean; accepted: Array<{ handle: string; fingerprint: string }>; rejected: Array<{ code: string }> }>;
  };
  assert.equal(j.ok, false);
  assert.equal(j.threshold, 2);
  assert.deepEqual(
    j.images.map((i) => [i.image, i.ok, i.accepted.map((a) => a.handle), i.rejected.map((r) => r.code)]),
    [
      ['core-few', false, ['alice'], ['trust/identity-mismatch']],
      ['core-good', true, ['alice', 'bob'], []],
    ],
  );
  assert.equal(j.images[1]!.accepted[0]!.fingerprint, alice.getFingerprint().toUpperCase());
});

test('usage and input errors: one line with a hint, exit 2, nothing on stdout', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['check', '--all'], /^check: --signatures DIR\|URL is required — /],
    [['check', '--signatures', 'signatures'], /^check: name the images to check, or pass --all — /],
    [['check', '--signatures', 'signatures', '--all', 'core-good'], /^check: give image names or --all, not both — /],
    [['check', '--signatures', 'signatures', 'core-nope'], /^no digest recorded for image 'core-nope' — /],
    [['check', '--signatures', 'signatures', '--threshold', '0', '--all'], /^check: --threshold must be an integer ≥ 1/],
    [['check', '--signatures', 'gopher://x', '--all'], /^--signatures 'gopher:\/\/x' uses a scheme strata cannot read — /],
    [['policy'], /^policy: --out DIR is required — /],
    [['check', '--signatures', 'nowhere', '--all'], /^nowhere: signatures directory 'nowhere' does not exist — /],
  ];
  for (const [argv, want] of cases) {
    const io = bufferIO({}, root);
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.match(io.stderr(), want, argv.join(' '));
    assert.equal(io.stderr().trimEnd().split('\n').length, 1, argv.join(' '));
    assert.equal(io.stdout(), '');
  }
});

test('a short key id in MAINTAINERS: file:line:col, exit 2', async () => {
  const t = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cli-bad-'));
  try {
    await fs.writeFile(path.join(t, 'MAINTAINERS'), '[people.a]\nName = A\n\n[keys.a.main]\nID = E90A401336C8AAA9\n');
    const io = bufferIO({}, t);
    assert.equal(await main(['check', '--signatures', 'sigs', '--all'], io), 2);
    assert.match(io.stderr(), /^.*MAINTAINERS:5:6: key ID 'E90A401336C8AAA9' is a 64-bit short id, which anyone can collide — use the full primary-key fingerprint/);
  } finally {
    await fs.rm(t, { recursive: true, force: true });
  }
});

test('policy writes policy.json, registries.d and key files, and says M-of-N needs strata check', async () => {
  const out = path.join(root, 'policy-any');
  const io = bufferIO({}, root);
  assert.equal(await main(['policy', '--out', out, '--lookaside', 'https://example.org/sigs'], io), 0);
  assert.match(io.stdout(), /cannot express M-of-N; run 'strata check'/);
  const policy = JSON.parse(await fs.readFile(path.join(out, 'policy.json'), 'utf8')) as {
    transports: { docker: Record<string, Array<{ type: string; keyType: string; keyPath: string }>> };
  };
  const reqs = policy.transports.docker['docker.io/stagex']!;
  assert.deepEqual(reqs, [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: path.join(out, 'keys', 'maintainers.gpg') }]);
  assert.ok((await fs.stat(path.join(out, 'keys', 'maintainers.gpg'))).size > 0);
  assert.equal(
    await fs.readFile(path.join(out, 'registries.d', 'strata-stagex.yaml'), 'utf8'),
    '# strata: lookaside signatures for docker.io/stagex\ndocker:\n  "docker.io/stagex":\n    lookaside: "https://example.org/sigs"\n',
  );

  const all = path.join(root, 'policy-all');
  assert.equal(await main(['policy', '--out', all, '--all-of', '--json'], bufferIO({}, root)), 0);
  const p2 = JSON.parse(await fs.readFile(path.join(all, 'policy.json'), 'utf8')) as typeof policy;
  assert.deepEqual(
    p2.transports.docker['docker.io/stagex']!.map((r) => path.basename(r.keyPath)),
    ['alice.gpg', 'bob.gpg'],
  );
  assert.match(await fs.readFile(path.join(all, 'registries.d', 'strata-stagex.yaml'), 'utf8'), /lookaside: "file:\/\/.*\/signatures"/);
});

test('--keyring FILE (binary) replaces keys/*.asc', async () => {
  const ring = path.join(root, 'maintainers.gpg');
  await fs.writeFile(ring, Buffer.concat([alice.toPublic().write(), bob.toPublic().write()]));
  const t = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cli-ring-'));
  try {
    for (const f of ['strata.toml', 'MAINTAINERS']) await fs.copyFile(path.join(root, f), path.join(t, f));
    await fs.cp(path.join(root, 'digests'), path.join(t, 'digests'), { recursive: true });
    const sigs = path.join(root, 'signatures');
    const noKeys = bufferIO({}, t);
    assert.equal(await main(['check', '--signatures', sigs, 'core-good'], noKeys), 2);
    assert.match(noKeys.stderr(), /no public keys: the tree has no keys\/\*\.asc — /);
    const io = bufferIO({}, t);
    assert.equal(await main(['check', '--signatures', sigs, '--keyring', ring, 'core-good'], io), 0, io.stderr());
    const bad = bufferIO({}, t);
    await fs.writeFile(path.join(t, 'junk.gpg'), 'not a keyring');
    assert.equal(await main(['check', '--signatures', sigs, '--keyring', 'junk.gpg', 'core-good'], bad), 2);
    assert.match(bad.stderr(), /cannot read OpenPGP public keys/);
  } finally {
    await fs.rm(t, { recursive: true, force: true });
  }
});
