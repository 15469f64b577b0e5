/**
 * `strata check` end to end over a tree made in a temp dir, with keys generated here.
 * One image per bad-input case of issue 4; each asserts its own reason code, so removing
 * any one check from the verifier changes at least one code (or lets a signature count).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { checkTree, type CheckReport } from './check.js';
import { parseLookasideBase, signatureDir, writeSignature } from './lookaside.js';
import { signDigest } from './sign.js';
import { createPayload } from './payload.js';
import { Keyring, verifySignedMessage } from './openpgp.js';
import {
  armoredPublic,
  cleartextSigned,
  compressedSignedMessage,
  detachedSignature,
  generateTestKey,
  revoked,
  signRaw,
  signReference,
  type TestKey,
} from './test-keys.js';
import type { QuorumResult } from './quorum.js';
import { StrataError } from '../errors.js';
import type * as openpgp from 'openpgp';

const DAY = 86_400_000;
let NOW: Date;
const digestOf = (i: number): string => `sha256:${i.toString(16).padStart(2, '0').repeat(32)}`;

const IMAGES = [
  'core-good',
  'core-corrupt',
  'core-otherdigest',
  'core-replay',
  'core-wrongid',
  'core-unknown',
  'core-expired',
  'core-revoked',
  'core-nosign',
  'core-notsigned',
  'core-bomb',
  'core-huge',
  'core-dupjson',
  'core-few',
  'core-samekey',
  'core-subkey',
  'core-twokeys',
  'core-identical',
  'core-legacy',
  'core-hostless',
] as const;
type Image = (typeof IMAGES)[number];
const DIGEST = Object.fromEntries(IMAGES.map((name, i) => [name, digestOf(i + 1)])) as Record<Image, string>;

let root: string;
let sigs: string;
let keys: {
  alice: TestKey; // Ed25519, with a signing subkey
  bob: TestKey; // RSA 3072 (its encryption subkey is used for the non-signing case)
  carol1: TestKey;
  carol2: TestKey;
  dave: TestKey; // expired
  erin: TestKey; // revoked
  mallory: TestKey; // in keys/, not in MAINTAINERS
  oscar: TestKey; // nowhere
};
let report: CheckReport;
let legacyReport: CheckReport;

async function put(image: Image, bytes: Uint8Array): Promise<void> {
  await writeSignature(sigs, `stagex/${image}`, DIGEST[image], bytes);
}
const ref = (image: string, tag = '1.0'): string => `stagex/${image}:${tag}`;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-check-'));
  sigs = path.join(root, 'sigs');
  const past = new Date(Date.now() - 10 * DAY);
  const [alice, bob, carol1, carol2, dave, erin, mallory, oscar] = await Promise.all([
    generateTestKey({ name: 'Alice', signingSubkey: true }),
    generateTestKey({ name: 'Bob', type: 'rsa3072' }),
    generateTestKey({ name: 'Carol' }),
    generateTestKey({ name: 'Carol Card' }),
    generateTestKey({ name: 'Dave', date: past, expiresIn: 86_400 }),
    generateTestKey({ name: 'Erin' }),
    generateTestKey({ name: 'Mallory' }),
    generateTestKey({ name: 'Oscar' }),
  ]);
  keys = { alice, bob, carol1, carol2, dave, erin, mallory, oscar };
  const fpr = (k: TestKey): string => k.getFingerprint().toUpperCase();
  await fs.writeFile(path.join(root, 'strata.toml'), 'namespace = "stagex"\nthreshold = 2\n');
  await fs.writeFile(
    path.join(root, 'MAINTAINERS'),
    [
      '[people.alice]\nName = "Alice Example"\nEmail = alice@example.org\n',
      '[people.bob]\nName = Bob Example\n',
      '[people.carol]\nName = Carol Example\n',
      '[people.dave]\nName = Dave\n',
      '[people.erin]\nName = Erin\n',
      `[keys.alice.personal]\nID = ${fpr(alice)}\n`,
      `[keys.bob.personal]\nID = ${fpr(bob)}\n`,
      `[keys.carol.laptop]\nID = ${fpr(carol1)}\n`,
      `[keys.carol.card]\nID = ${fpr(carol2)}\n`,
      `[keys.dave.old]\nID = ${fpr(dave)}\n`,
      `[keys.erin.lost]\nID = ${fpr(erin)}\n`,
    ].join('\n'),
  );
  await fs.mkdir(path.join(root, 'keys'));
  for (const [name, k] of Object.entries({ alice, bob, carol1, carol2, dave, mallory })) {
    await fs.writeFile(path.join(root, 'keys', `${name}.asc`), armoredPublic(k));
  }
  await fs.writeFile(path.join(root, 'keys', 'erin.asc'), (await revoked(erin)).armor());
  await fs.mkdir(path.join(root, 'digests'));
  await fs.writeFile(
    path.join(root, 'digests', 'core.txt'),
    [...IMAGES].sort().map((i) => `${DIGEST[i].slice(7)} ${i}\n`).join(''),
  );

  // --- signatures, one case per image ---------------------------------------------
  await put('core-good', await signReference(ref('core-good'), DIGEST['core-good'], alice));
  await put('core-good', await signReference(`docker.io/${ref('core-good', '9.9')}`, DIGEST['core-good'], bob));

  const good = await signReference(ref('core-corrupt'), DIGEST['core-corrupt'], alice);
  await put('core-corrupt', good.slice(0, good.length - 30)); // truncated
  await put('core-corrupt', new TextEncoder().encode('this is not OpenPGP at all'));

  await put('core-otherdigest', await signReference(ref('core-otherdigest'), digestOf(200), alice));

  // a valid signature of core-good copied under core-replay
  await put('core-replay', await fs.readFile(path.join(sigs, signatureDir('stagex/core-good', DIGEST['core-good']), 'signature-1')));

  await put('core-wrongid', await signReference('evil/core-wrongid:1.0', DIGEST['core-wrongid'], alice));

  await put('core-unknown', await signReference(ref('core-unknown'), DIGEST['core-unknown'], oscar));
  await put('core-unknown', await signReference(ref('core-unknown'), DIGEST['core-unknown'], mallory));

  await put('core-expired', await signReference(ref('core-expired'), DIGEST['core-expired'], dave, { date: new Date(past.getTime() + 3_600_000) }));

  await put('core-revoked', await signReference(ref('core-revoked'), DIGEST['core-revoked'], erin));

  await put('core-nosign', await signReference(ref('core-nosign'), DIGEST['core-nosign'], bob, { forceComponent: 0 }));

  const payload = createPayload({ dockerReference: ref('core-notsigned'), digest: DIGEST['core-notsigned'] });
  await put('core-notsigned', await cleartextSigned(new TextDecoder().decode(payload), alice));
  await put('core-notsigned', await detachedSignature(payload, alice, false));
  await put('core-notsigned', await detachedSignature(payload, alice, true));

  await put('core-bomb', await compressedSignedMessage(1 << 20, alice));

  const hugeDir = path.join(sigs, signatureDir('stagex/core-huge', DIGEST['core-huge']));
  await fs.mkdir(hugeDir, { recursive: true });
  const fh = await fs.open(path.join(hugeDir, 'signature-1'), 'w');
  await fh.truncate(100 * 1024 * 1024); // sparse: 100 MB without writing it
  await fh.close();

  const dupJson = new TextEncoder().encode(
    `{"critical":{"identity":{"docker-reference":"${ref('core-dupjson')}"},"image":{"docker-manifest-digest":"${digestOf(99)}","docker-manifest-digest":"${DIGEST['core-dupjson']}"},"type":"atomic container signature"},"optional":{}}`,
  );
  await put('core-dupjson', await signRaw(dupJson, alice));
  await put('core-dupjson', await signReference(ref('core-dupjson'), DIGEST['core-dupjson'], bob));

  await put('core-few', await signReference(ref('core-few'), DIGEST['core-few'], alice));

  await put('core-samekey', await signReference(ref('core-samekey'), DIGEST['core-samekey'], alice, { creator: 'one' }));
  await put('core-samekey', await signReference(ref('core-samekey'), DIGEST['core-samekey'], alice, { creator: 'two' }));

  const subID = alice.subkeys[1]!.getKeyID().toHex();
  await put('core-subkey', await signReference(ref('core-subkey'), DIGEST['core-subkey'], alice));
  await put('core-subkey', await signReference(ref('core-subkey'), DIGEST['core-subkey'], alice, { subkeyID: subID }));

  await put('core-twokeys', await signReference(ref('core-twokeys'), DIGEST['core-twokeys'], carol1));
  await put('core-twokeys', await signReference(ref('core-twokeys'), DIGEST['core-twokeys'], carol2));

  const once = await signReference(ref('core-identical'), DIGEST['core-identical'], alice);
  await put('core-identical', once);
  await put('core-identical', once);

  const legacy = (k: string): Uint8Array =>
    new TextEncoder().encode(
      `[{"critical":{"identity":{"docker-reference":"stagex/core-legacy"},"image":{"docker-manifest-digest":"${DIGEST['core-legacy'].slice(7)}"},"type":"pgp container image signature"},"optional":{"creator":"${k}"}}]`,
    );
  await put('core-legacy', await signRaw(legacy('a'), alice));
  await put('core-legacy', await signRaw(legacy('b'), bob));

  // host and tag are ignored: quay.io/stagex/x:other still names repository stagex/x
  await put('core-hostless', await signReference('quay.io/stagex/core-hostless:other', DIGEST['core-hostless'], alice));
  await put('core-hostless', await signReference('stagex/core-hostless', DIGEST['core-hostless'], carol2));

  NOW = new Date();
  report = await checkTree({ tree: root, images: 'all', signatures: parseLookasideBase(sigs, root), date: NOW });
  legacyReport = await checkTree({ tree: root, images: ['core-legacy'], signatures: parseLookasideBase(sigs, root), legacy: true });
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function result(image: Image, r: CheckReport = report): QuorumResult {
  const found = r.results.find((x) => x.image === image);
  assert.ok(found, image);
  return found;
}
/** The rejection codes of an image, in signature order. */
function codes(image: Image): string[] {
  return result(image).rejected.map((r) => r.code);
}
function signers(image: Image, r: CheckReport = report): string[] {
  return result(image, r).accepted.map((a) => a.handle);
}

test('two distinct maintainers over the exact digest pass (tag and docker.io prefix do not matter)', () => {
  const r = result('core-good');
  assert.equal(r.ok, true);
  assert.deepEqual(signers('core-good'), ['alice', 'bob']);
  assert.deepEqual(r.rejected, []);
  assert.equal(result('core-hostless').ok, true);
});

test('corrupt and truncated signature files', () => {
  assert.deepEqual(codes('core-corrupt'), ['trust/malformed-signature', 'trust/malformed-signature']);
  assert.equal(result('core-corrupt').ok, false);
});

test('a signature over another digest', () => {
  assert.deepEqual(codes('core-otherdigest'), ['trust/digest-mismatch']);
});

test('a valid signature for another package replayed under this one', () => {
  assert.deepEqual(codes('core-replay'), ['trust/identity-mismatch']);
});

test('a wrong identity with the right digest', () => {
  assert.deepEqual(codes('core-wrongid'), ['trust/identity-mismatch']);
});

test('unknown keys: not in the keyring, and in keys/ but not in MAINTAINERS', () => {
  assert.deepEqual(codes('core-unknown'), ['trust/unknown-key', 'trust/unknown-key']);
  assert.equal(result('core-unknown').rejected[1]!.primaryFingerprint, keys.mallory.getFingerprint());
});

test('expired, revoked and non-signing keys count for nothing', () => {
  assert.deepEqual(codes('core-expired'), ['trust/key-expired']);
  assert.deepEqual(codes('core-revoked'), ['trust/key-revoked']);
  assert.deepEqual(codes('core-nosign'), ['trust/key-not-signing']);
});

test('cleartext and detached signatures where a signed message is required', () => {
  assert.deepEqual(codes('core-notsigned'), ['trust/not-signed-message', 'trust/not-signed-message', 'trust/not-signed-message']);
});

test('a compressed message that expands past the cap, and a 100 MB file', () => {
  assert.deepEqual(codes('core-bomb'), ['trust/decompression-limit']);
  assert.deepEqual(codes('core-huge'), ['trust/signature-too-large']);
});

test('a small compressed signed message (what gpg writes) verifies: the cap is a size, not a ban', async () => {
  const bytes = await compressedSignedMessage(60_000, keys.alice);
  const v = await verifySignedMessage(bytes, new Keyring([keys.alice.toPublic()]), new Date());
  assert.equal(v.ok, true);
  assert.equal(v.ok && v.literalData.length, 60_000);
});

test('payload JSON with duplicate keys', () => {
  assert.deepEqual(codes('core-dupjson'), ['trust/payload-duplicate-member']);
  assert.deepEqual(signers('core-dupjson'), ['bob']);
});

test('M−1 valid signers fail', () => {
  const r = result('core-few');
  assert.deepEqual(signers('core-few'), ['alice']);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.ok, false);
});

test('the same key twice, a subkey plus its primary, two keys of one maintainer, identical files', () => {
  assert.deepEqual(codes('core-samekey'), ['trust/duplicate-key']);
  assert.deepEqual(codes('core-subkey'), ['trust/duplicate-key']);
  assert.deepEqual(codes('core-twokeys'), ['trust/duplicate-maintainer']);
  assert.deepEqual(codes('core-identical'), ['trust/duplicate-file']);
  for (const i of ['core-samekey', 'core-subkey', 'core-twokeys', 'core-identical'] as const) {
    assert.equal(result(i).accepted.length, 1, i);
    assert.equal(result(i).ok, false, i);
  }
  // the subkey signature verified as the primary's fingerprint
  assert.equal(result('core-subkey').rejected[0]!.primaryFingerprint, keys.alice.getFingerprint());
});

test('legacy StageX payloads: rejected by default, accepted and marked with --legacy', () => {
  assert.deepEqual(codes('core-legacy'), ['trust/legacy-payload', 'trust/legacy-payload']);
  const r = result('core-legacy', legacyReport);
  assert.equal(r.ok, true);
  assert.deepEqual(r.accepted.map((a) => a.legacy), [true, true]);
});

test('only the good images pass; a failing image fails the report', () => {
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.results.filter((r) => r.ok).map((r) => r.image),
    ['core-good', 'core-hostless'],
  );
  assert.deepEqual(report.warnings, [], 'every MAINTAINERS key has a public key');
});

test('verifying on worker threads gives exactly the in-process results', async () => {
  const threaded = await checkTree({ tree: root, images: 'all', signatures: parseLookasideBase(sigs, root), threads: 2, date: NOW });
  assert.deepEqual(threaded, report);
});

test('--threshold overrides strata.toml; 1 lets a single signer pass', async () => {
  const r = await checkTree({ tree: root, images: ['core-few'], signatures: parseLookasideBase(sigs, root), threshold: 1 });
  assert.equal(r.ok, true);
});

test('signatures over http:// are read the same way, stopping at the first 404', async () => {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').slice(1));
    fs.readFile(path.join(sigs, rel)).then(
      (b) => res.end(b),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const r = await checkTree({
      tree: root,
      images: ['core-good', 'core-twokeys'],
      signatures: parseLookasideBase(`http://127.0.0.1:${port}`, root),
    });
    assert.deepEqual(r.results.map((x) => [x.image, x.ok, x.accepted.length]), [
      ['core-good', true, 2],
      ['core-twokeys', false, 1],
    ]);
    assert.deepEqual(r.results[1]!.rejected.map((x) => x.code), ['trust/duplicate-maintainer']);
  } finally {
    server.close();
  }
});

test('a gap ends the list: signature-3 after a missing -2 is not read', async () => {
  const dir = path.join(sigs, signatureDir('stagex/core-few', DIGEST['core-few']));
  await fs.writeFile(path.join(dir, 'signature-3'), await signReference(ref('core-few'), DIGEST['core-few'], keys.bob));
  try {
    const r = await checkTree({ tree: root, images: ['core-few'], signatures: parseLookasideBase(`file://${sigs}`, root) });
    assert.deepEqual(signers('core-few', r), ['alice']);
  } finally {
    await fs.rm(path.join(dir, 'signature-3'));
  }
});

test('signDigest writes the first free signature-N, skips what this key already signed, and check accepts it', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-sign-'));
  try {
    const base = { image: 'core-good', version: '1.0', digest: DIGEST['core-good'], namespace: 'stagex', signaturesDir: dir };
    const a1 = await signDigest({ ...base, signer: { kind: 'key', privateKey: keys.alice } });
    assert.equal(a1.status, 'signed');
    assert.equal(a1.status === 'signed' && a1.n, 1);
    const a2 = await signDigest({ ...base, signer: { kind: 'key', privateKey: keys.alice } });
    assert.deepEqual([a2.status, a2.n], ['already-signed', 1]);
    const b1 = await signDigest({ ...base, signer: { kind: 'key', privateKey: keys.bob } });
    assert.deepEqual([b1.status, b1.n], ['signed', 2]);
    const r = await checkTree({ tree: root, images: ['core-good'], signatures: parseLookasideBase(dir, root) });
    assert.equal(r.ok, true);
    await assert.rejects(
      signDigest({ ...base, version: 'bad tag!', signer: { kind: 'key', privateKey: keys.carol1 } }),
      (e: unknown) => e instanceof StrataError && e.code === 'trust/bad-identity',
    );
    // an expired key cannot produce a signature that would be published
    await assert.rejects(
      signDigest({ ...base, signer: { kind: 'key', privateKey: keys.dave as openpgp.PrivateKey } }),
      (e: unknown) => e instanceof Error,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('bad tree input is an input error with a location', async () => {
  const t = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-badtree-'));
  try {
    await fs.writeFile(path.join(t, 'MAINTAINERS'), '[people.a]\n[keys.a.x]\nID = DEADBEEFDEADBEEF\n');
    const e = await checkTree({ tree: t, images: 'all', signatures: parseLookasideBase(sigs, t) }).then(
      () => assert.fail('accepted'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'trust/maintainers-short-key-id');
    assert.equal(e.exitCode, 2);
    assert.match(e.format(), /MAINTAINERS:3:6: /);
    assert.throws(() => parseLookasideBase('ftp://x/y', t), (x: unknown) => x instanceof StrataError && x.code === 'trust/bad-signatures-location');
  } finally {
    await fs.rm(t, { recursive: true, force: true });
  }
});
