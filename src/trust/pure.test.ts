import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonSyntaxError, parseStrictJson } from './strict-json.js';
import { createPayload, parsePayload } from './payload.js';
import { parseMaintainers } from './maintainers.js';
import { parseDigestsFile } from './digests-file.js';
import { StrataError } from '../errors.js';

const HEX = 'a'.repeat(64);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function jsonError(text: string): JsonSyntaxError {
  try {
    parseStrictJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e;
    throw e;
  }
  assert.fail(`accepted ${text}`);
}

test('strict JSON: values as JSON.parse gives them', () => {
  for (const t of ['{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\ud83d\\ude00\\n"]}', '[]', '{}', ' "s" ', '0']) {
    assert.deepEqual(JSON.parse(JSON.stringify(parseStrictJson(t))), JSON.parse(t), t);
  }
});

test('strict JSON: duplicate members are rejected at any depth', () => {
  assert.equal(jsonError('{"a":1,"a":2}').kind, 'duplicate-key');
  assert.equal(jsonError('{"x":{"b":1,"c":2,"b":3}}').kind, 'duplicate-key');
  // escapes are compared after decoding
  assert.equal(jsonError('{"a":1,"\\u0061":2}').kind, 'duplicate-key');
});

test('strict JSON: what RFC 8259 forbids is rejected', () => {
  for (const t of ['{"a":1,}', '[1,]', '01', '{a:1}', "{'a':1}", '"\u0001"', '"\\ud800"', '1 2', '', 'NaN', '"\\x"', '[1', '{"a":1}/**/']) {
    assert.equal(jsonError(t).kind, 'syntax', t);
  }
  assert.equal(jsonError('['.repeat(100) + ']'.repeat(100)).kind, 'syntax');
});

test('strict JSON: __proto__ is plain data', () => {
  const v = parseStrictJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), null);
  assert.deepEqual(Object.keys(v), ['__proto__']);
});

function payloadCode(text: string, legacy = false): string {
  const r = parsePayload(enc(text), { legacy });
  assert.equal(r.ok, false, text);
  return r.ok ? '' : r.rejection.code;
}

const good = (over: Record<string, unknown> = {}, critical: Record<string, unknown> = {}): string =>
  JSON.stringify({
    critical: {
      identity: { 'docker-reference': 'stagex/core-zlib:1.3.1' },
      image: { 'docker-manifest-digest': `sha256:${HEX}` },
      type: 'atomic container signature',
      ...critical,
    },
    optional: { creator: 'x', timestamp: 1 },
    ...over,
  });

test('payload: a created payload parses back', () => {
  const bytes = createPayload({ dockerReference: 'stagex/core-zlib:1.3.1', digest: `sha256:${HEX}`, creator: 'strata', timestamp: 5 });
  const r = parsePayload(bytes);
  assert.ok(r.ok);
  assert.equal(r.payload.untrustedDigest, `sha256:${HEX}`);
  assert.equal(r.payload.untrustedReference.path, 'stagex/core-zlib');
  assert.equal(r.payload.untrustedTimestamp, 5);
  assert.equal(r.payload.legacy, false);
  assert.ok(parsePayload(enc(good({ optional: undefined }))).ok, 'optional may be absent');
});

test('payload: each strictness rule has its own code', () => {
  assert.equal(payloadCode(good().replace('"type"', '"type":"x","type"')), 'trust/payload-duplicate-member');
  assert.equal(payloadCode(good({}, { extra: 1 })), 'trust/payload-unknown-member');
  assert.equal(payloadCode(good({ other: 1 })), 'trust/payload-unknown-member');
  assert.equal(payloadCode(good({}, { image: { 'docker-manifest-digest': `sha256:${HEX}`, x: 1 } })), 'trust/payload-unknown-member');
  assert.equal(payloadCode(good({}, { type: 'atomic container signature ' })), 'trust/payload-bad-type');
  assert.equal(payloadCode(good({}, { type: 'pgp container image signature' })), 'trust/payload-bad-type');
  assert.equal(payloadCode(good({}, { image: { 'docker-manifest-digest': HEX } })), 'trust/payload-bad-digest');
  assert.equal(payloadCode(good({}, { image: { 'docker-manifest-digest': `sha256:${HEX.toUpperCase()}` } })), 'trust/payload-bad-digest');
  assert.equal(payloadCode(good({}, { image: { 'docker-manifest-digest': `sha512:${HEX}${HEX}` } })), 'trust/payload-bad-digest');
  assert.equal(payloadCode(good({}, { identity: { 'docker-reference': 'stagex/X' } })), 'trust/identity-invalid');
  assert.equal(payloadCode(good({}, { identity: { 'docker-reference': `stagex/x@sha256:${HEX}` } })), 'trust/identity-invalid');
  assert.equal(payloadCode('{"critical":{}}'), 'trust/payload-malformed');
  assert.equal(payloadCode('not json'), 'trust/payload-malformed');
  assert.equal(payloadCode(good({ optional: { timestamp: 'x' } })), 'trust/payload-malformed');
  assert.equal(parsePayload(new Uint8Array([0xff, 0xfe])).ok, false);
});

test('payload: the legacy StageX array is accepted only when asked, and marked', () => {
  const legacy = `[{"critical":{"identity":{"docker-reference":"stagex/core-zlib"},"image":{"docker-manifest-digest":"${HEX}"},"type":"pgp container image signature"},"optional":null}]`;
  assert.equal(payloadCode(legacy), 'trust/legacy-payload');
  const r = parsePayload(enc(legacy), { legacy: true });
  assert.ok(r.ok);
  assert.equal(r.payload.legacy, true);
  assert.equal(r.payload.untrustedDigest, `sha256:${HEX}`);
  assert.equal(payloadCode(legacy.replace('pgp container image signature', 'atomic container signature'), true), 'trust/payload-bad-type');
  assert.equal(payloadCode(`[${legacy.slice(1, -1)},${legacy.slice(1, -1)}]`, true), 'trust/payload-malformed');
});

const STAGEX_STYLE = `[people]

[people.alice]
Name = "Alice Example"
Location = Somewhere, Earth
Email = alice@example.org

[people.bob]
name = 'Bob'

[keys]

[keys.alice.personal]
ID = 6B61ECD76088748C70590D55E90A401336C8AAA9
Algorithm = RSA4096

[keys.bob.card]
id = "${'b'.repeat(64)}"

[machines.alice.local1]
Cores = 32
`;

function maintainersError(text: string): StrataError {
  try {
    parseMaintainers(text, 'MAINTAINERS');
  } catch (e) {
    if (e instanceof StrataError) return e;
    throw e;
  }
  assert.fail('accepted');
}

test('MAINTAINERS: StageX style (bare values, capitalised keys) and TOML strings', () => {
  const m = parseMaintainers(STAGEX_STYLE, 'MAINTAINERS');
  assert.deepEqual(
    m.people.map((p) => [p.handle, p.name, p.email, p.fields['location']]),
    [
      ['alice', 'Alice Example', 'alice@example.org', 'Somewhere, Earth'],
      ['bob', 'Bob', undefined, undefined],
    ],
  );
  assert.deepEqual(
    m.keys.map((k) => [k.handle, k.label, k.fingerprint, k.location.line]),
    [
      ['alice', 'personal', '6b61ecd76088748c70590d55e90a401336c8aaa9', 14],
      ['bob', 'card', 'b'.repeat(64), 18],
    ],
  );
});

test('MAINTAINERS: bad input is located and coded', () => {
  const short = maintainersError('[people.a]\nName = A\n[keys.a.x]\nID = E90A401336C8AAA9\n');
  assert.equal(short.code, 'trust/maintainers-short-key-id');
  assert.equal(short.format().split(' — ')[0], 'MAINTAINERS:4:6: key ID \'E90A401336C8AAA9\' is a 64-bit short id, which anyone can collide');
  assert.equal(maintainersError('[people.a]\n[keys.a.x]\nID = 0x' + 'A'.repeat(40) + '\n').code, 'trust/maintainers-short-key-id');
  assert.equal(maintainersError('[people.a]\n[keys.a.x]\nID = ' + 'A'.repeat(39) + '\n').code, 'trust/maintainers-bad-key-id');
  assert.equal(maintainersError('[people.a]\n[keys.a.x]\nID = ' + 'G'.repeat(40) + '\n').code, 'trust/maintainers-bad-key-id');
  assert.equal(maintainersError('[people.a]\n[keys.a.x]\nAlgorithm = RSA\n').code, 'trust/maintainers-missing-key-id');
  assert.equal(maintainersError('[people.a]\n[keys.b.x]\nID = ' + 'A'.repeat(40) + '\n').code, 'trust/maintainers-unknown-person');
  const dup = maintainersError(`[people.a]\n[people.b]\n[keys.a.x]\nID = ${'A'.repeat(40)}\n[keys.b.y]\nID = ${'a'.repeat(40)}\n`);
  assert.equal(dup.code, 'trust/maintainers-duplicate-key');
  assert.equal(dup.location?.line, 6);
  assert.equal(maintainersError('[people.a]\nName = A\nname = B\n').code, 'trust/maintainers-syntax');
  assert.equal(maintainersError('Name = A\n').code, 'trust/maintainers-syntax');
  assert.equal(maintainersError('[people.a]\njust text\n').location?.line, 2);
  assert.equal(maintainersError('[people.a\n').code, 'trust/maintainers-syntax');
  assert.equal(maintainersError('[people.a]\n[people.a]\n').code, 'trust/maintainers-syntax');
  assert.equal(maintainersError('[keys.a]\n').code, 'trust/maintainers-syntax');
  assert.equal(maintainersError('[people.a]\nName = "A\n').code, 'trust/maintainers-syntax');
});

test('digests file: format, stage and duplicates', () => {
  const d = parseDigestsFile(`${HEX} core-zlib\n${'b'.repeat(64)} core-zstd\n`, 'digests/core.txt', 'core');
  assert.deepEqual(
    d.map((e) => [e.image, e.digest]),
    [
      ['core-zlib', `sha256:${HEX}`],
      ['core-zstd', `sha256:${'b'.repeat(64)}`],
    ],
  );
  const err = (t: string): string => {
    try {
      parseDigestsFile(t, 'digests/core.txt', 'core');
    } catch (e) {
      if (e instanceof StrataError) return `${e.code} ${e.location?.line}`;
    }
    return 'accepted';
  };
  assert.equal(err(`${HEX} core-zlib\nsha256:${HEX} core-x\n`), 'trust/digests-syntax 2');
  assert.equal(err(`${HEX}  core-zlib\n`), 'trust/digests-syntax 1');
  assert.equal(err(`${HEX} user-zlib\n`), 'trust/digests-wrong-stage 1');
  assert.equal(err(`${HEX} core-zlib\n${HEX} core-zlib\n`), 'trust/digests-duplicate 2');
});
