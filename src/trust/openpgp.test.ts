/**
 * The OpenPGP adapter on its own: the checks the tree-level corpus (check.test.ts) cannot
 * reach because an outer layer already stops the input, each with its own code.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as openpgp from 'openpgp';
import { Keyring, MAX_SIGNATURE_BYTES, verifySignedMessage, readPrivateKey, signPayload } from './openpgp.js';
import { generateTestKey, signRaw, type TestKey } from './test-keys.js';

let alice: TestKey;
let bob: TestKey;
let keyring: Keyring;
const payload = new TextEncoder().encode('{"critical":{}}');

before(async () => {
  [alice, bob] = await Promise.all([generateTestKey({ name: 'Alice', signingSubkey: true }), generateTestKey({ name: 'Bob' })]);
  keyring = new Keyring([alice.toPublic(), bob.toPublic()]);
});

async function code(bytes: Uint8Array, ring = keyring, date = new Date()): Promise<string> {
  const r = await verifySignedMessage(bytes, ring, date);
  return r.ok ? 'ok' : r.rejection.code;
}

test('a plain signed message verifies and names the primary fingerprint', async () => {
  const r = await verifySignedMessage(await signRaw(payload, alice), keyring, new Date());
  assert.ok(r.ok);
  assert.equal(r.primaryFingerprint, alice.getFingerprint());
  assert.deepEqual(r.literalData, payload);
});

test('the adapter caps size itself, whatever the transport did', async () => {
  const big = new Uint8Array(MAX_SIGNATURE_BYTES + 1);
  assert.equal(await code(big), 'trust/signature-too-large');
  assert.equal(await code(new Uint8Array(0)), 'trust/malformed-signature');
});

test('an encrypted message is not a signed message', async () => {
  const message = await openpgp.createMessage({ binary: payload });
  const enc = await openpgp.encrypt({ message, passwords: ['x'], format: 'binary' });
  assert.equal(await code(enc), 'trust/not-signed-message');
  const armoredKey = new TextEncoder().encode(alice.toPublic().armor());
  assert.equal(await code(armoredKey), 'trust/not-signed-message');
});

test('a message with two signatures is refused (containers expects exactly one)', async () => {
  const message = await openpgp.createMessage({ binary: payload });
  const two = await openpgp.sign({ message, signingKeys: [alice, bob], format: 'binary' });
  assert.equal(await code(two), 'trust/malformed-signature');
});

test('a tampered literal is a bad signature', async () => {
  const sig = await signRaw(payload, bob);
  const at = Buffer.from(sig).indexOf(Buffer.from('critical'));
  assert.ok(at > 0);
  const bad = new Uint8Array(sig);
  bad[at] = 'C'.charCodeAt(0);
  assert.equal(await code(bad), 'trust/bad-signature');
});

test('a revoked signing subkey counts for nothing, the primary still does', async () => {
  const sub = alice.subkeys[1]!;
  const bySub = await signRaw(payload, alice, { subkeyID: sub.getKeyID().toHex() });
  const revokedSub = await sub.revoke(alice.keyPacket as openpgp.SecretKeyPacket);
  const pub = alice.toPublic();
  const copy = await openpgp.readKey({ binaryKey: pub.write() });
  const target = copy.subkeys.find((s) => s.getKeyID().equals(sub.getKeyID()))!;
  target.revocationSignatures.push(...revokedSub.revocationSignatures);
  const ring = new Keyring([copy as openpgp.PublicKey]);
  assert.equal(await code(bySub, ring), 'trust/key-revoked');
  assert.equal(await code(await signRaw(payload, alice, { subkeyID: alice.getKeyID().toHex() }), ring), 'ok');
});

test('an expired signing subkey counts for nothing', async () => {
  const past = new Date(Date.now() - 10 * 86_400_000);
  const k = await openpgp.generateKey({
    userIDs: [{ name: 'Sub', email: 'sub@example.org' }],
    type: 'ecc',
    curve: 'ed25519Legacy',
    date: past,
    subkeys: [{}, { sign: true, keyExpirationTime: 86_400 }],
    format: 'object',
  });
  const sub = k.privateKey.subkeys[1]!;
  const sig = await signRaw(payload, k.privateKey, { subkeyID: sub.getKeyID().toHex(), date: new Date(past.getTime() + 3_600_000) });
  const ring = new Keyring([k.publicKey]);
  assert.equal(await code(sig, ring), 'trust/key-expired');
  assert.equal(await code(sig, ring, new Date(past.getTime() + 7_200_000)), 'ok', 'valid while the subkey was');
});

test('signPayload refuses nothing valid and readPrivateKey wants the passphrase', async () => {
  const locked = await openpgp.encryptKey({ privateKey: bob, passphrase: 'pw' });
  const bytes = new TextEncoder().encode(locked.armor());
  await assert.rejects(readPrivateKey(bytes, 'bob.key'), /passphrase/);
  await assert.rejects(readPrivateKey(bytes, 'bob.key', 'wrong'), /cannot unlock/);
  const unlocked = await readPrivateKey(bytes, 'bob.key', 'pw');
  assert.equal(await code(await signPayload(payload, unlocked)), 'ok');
});

test('the fast path applies to strata-made messages and agrees with the full path on every case', async () => {
  const { splitSimpleSignedMessage } = await import('./signed-message-framing.js');
  const good = await signRaw(payload, alice);
  const bySub = await signRaw(payload, alice, { subkeyID: alice.subkeys[1]!.getKeyID().toHex() });
  const rsaLike = await signRaw(payload, bob);
  assert.ok(splitSimpleSignedMessage(good), 'openpgp.js output has the simple shape');
  assert.ok(splitSimpleSignedMessage(bySub));
  const tampered = new Uint8Array(good);
  tampered[Buffer.from(good).indexOf(Buffer.from('critical'))] = 0x43;
  // the one-pass packet claims bob's key id while the signature is alice's
  const swapped = new Uint8Array(good);
  const parts = splitSimpleSignedMessage(good)!;
  const opsAt = Buffer.from(good).indexOf(Buffer.from(parts.onePass));
  swapped.set(Buffer.from(bob.getKeyID().toHex(), 'hex'), opsAt + 4);
  const truncated = good.slice(0, good.length - 5);
  const unknownRing = new Keyring([bob.toPublic()]);
  const date = new Date();
  for (const [name, bytes, ring] of [
    ['good', good, keyring],
    ['subkey', bySub, keyring],
    ['bob', rsaLike, keyring],
    ['tampered', tampered, keyring],
    ['ops-mismatch', swapped, keyring],
    ['truncated', truncated, keyring],
    ['unknown', good, unknownRing],
  ] as const) {
    const fast = await verifySignedMessage(bytes, ring, date);
    const full = await verifySignedMessage(bytes, ring, date, { fastPath: false });
    assert.deepEqual(
      fast.ok ? { ok: true, f: fast.primaryFingerprint, d: [...fast.literalData] } : fast.rejection.code,
      full.ok ? { ok: true, f: full.primaryFingerprint, d: [...full.literalData] } : full.rejection.code,
      name,
    );
  }
});
