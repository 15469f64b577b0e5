import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../main.js';
import { bufferIO } from '../io.js';
import { OciStore } from '../../store/store.js';
import { putTinyImage } from '../../store/test-image.js';
import { armoredPublic, generateTestKey, type TestKey } from '../../trust/test-keys.js';

let root: string;
let alice: TestKey;
let helloDigest: string;

async function pkg(stage: string, name: string, version: string, extra = ''): Promise<void> {
  const dir = path.join(root, 'packages', stage, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'package.toml'), `[package]\nname = "${name}"\nversion = "${version}"\n${extra}`);
  await fs.writeFile(path.join(dir, 'Containerfile'), 'FROM scratch\n');
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cli-sign-'));
  alice = await generateTestKey({ name: 'Alice' });
  await pkg('core', 'hello', '1.2.3');
  await pkg('core', 'other', '0.1');
  await pkg('core', 'absent', '9');
  const store = await OciStore.open(path.join(root, '.strata', 'store'), { create: true });
  helloDigest = (await putTinyImage(store, 'core-hello')).digest;
  await putTinyImage(store, 'core-other', 'x'); // built, but to a different digest than recorded
  await fs.mkdir(path.join(root, 'digests'));
  await fs.writeFile(
    path.join(root, 'digests', 'core.txt'),
    `${'e'.repeat(64)} core-absent\n${helloDigest.slice(7)} core-hello\n${'f'.repeat(64)} core-other\n`,
  );
  await fs.writeFile(path.join(root, 'alice.key'), alice.armor());
  await fs.writeFile(path.join(root, 'MAINTAINERS'), `[people.alice]\nName = Alice\n[keys.alice.main]\nID = ${alice.getFingerprint()}\n`);
  await fs.mkdir(path.join(root, 'keys'));
  await fs.writeFile(path.join(root, 'keys', 'alice.asc'), armoredPublic(alice));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('sign signs what the store holds with the recorded digest, then skips it; check accepts it', async () => {
  const io = bufferIO({}, root);
  assert.equal(await main(['sign', '--signatures', 'sigs', '--key', 'alice.key', 'core-hello'], io), 0, io.stderr());
  assert.match(io.stdout(), /^core-hello\s+sha256:\w{12}…\s+signed \(signature-1\)$/m);
  const again = bufferIO({}, root);
  assert.equal(await main(['sign', '--signatures', 'sigs', '--key', 'alice.key', 'core-hello', '--json'], again), 0);
  const j = JSON.parse(again.stdout()) as Array<{ image: string; version: string; status: string; n: number }>;
  assert.deepEqual(j.map((r) => [r.image, r.version, r.status, r.n]), [['core-hello', '1.2.3', 'already-signed', 1]]);
  const check = bufferIO({}, root);
  assert.equal(await main(['check', '--signatures', 'sigs', '--threshold', '1', 'core-hello', '--json'], check), 0, check.stderr());
  const payloadRef = (JSON.parse(check.stdout()) as { images: Array<{ accepted: Array<{ handle: string }> }> }).images[0]!.accepted[0]!.handle;
  assert.equal(payloadRef, 'alice');
});

test('sign refuses images not built here or built to another digest, naming each, and writes nothing', async () => {
  const io = bufferIO({}, root);
  assert.equal(await main(['sign', '--signatures', 'sigs2', '--key', 'alice.key', '--all'], io), 1);
  const lines = io.stderr().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /digests\/core\.txt:1:1: refusing to sign core-absent: it is not in the local store — build it first/);
  assert.match(lines[1]!, /digests\/core\.txt:3:1: refusing to sign core-other: the local build is sha256:\w+, digests\/ says sha256:f{64} — /);
  await assert.rejects(fs.stat(path.join(root, 'sigs2')));
});

test('sign usage errors exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['sign', '--key', 'alice.key', '--all'], /--signatures DIR is required/],
    [['sign', '--signatures', 's', '--all'], /exactly one of --key FILE or --gpg FINGERPRINT/],
    [['sign', '--signatures', 's', '--key', 'alice.key', '--gpg', 'AB', '--all'], /exactly one of/],
    [['sign', '--signatures', 'https://x/y', '--key', 'alice.key', '--all'], /must be a local directory/],
    [['sign', '--signatures', 's', '--key', 'nope.key', '--all'], /nope\.key: cannot read: ENOENT/],
    [['sign', '--signatures', 's', '--key', 'MAINTAINERS', '--all'], /cannot read an OpenPGP private key/],
  ];
  for (const [argv, want] of cases) {
    const io = bufferIO({}, root);
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.match(io.stderr(), want, argv.join(' '));
  }
});

test('the demo flow: demo maintainers, two signers, check with --maintainers and --keyring', async () => {
  const { writeDemoMaintainers } = await import('../../trust/demo-maintainers.js');
  const demo = path.join(root, 'demo');
  await writeDemoMaintainers(demo);
  assert.equal((await fs.stat(path.join(demo, 'alice.key'))).mode & 0o777, 0o600);
  for (const who of ['alice', 'bob']) {
    const io = bufferIO({}, root);
    assert.equal(await main(['sign', '--signatures', 'demo-sigs', '--key', path.join(demo, `${who}.key`), 'core-hello'], io), 0, io.stderr());
  }
  const io = bufferIO({}, root);
  const argv = ['check', '--signatures', 'demo-sigs', '--maintainers', path.join(demo, 'MAINTAINERS'), '--keyring', path.join(demo, 'keyring.asc'), 'core-hello'];
  assert.equal(await main(argv, io), 0, io.stderr());
  assert.match(io.stdout(), /^core-hello\s+sha256:\w{12}…\s+2\/2\s+Alice Demo, Bob Demo\s+ok$/m);
});
