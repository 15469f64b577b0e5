import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../errors.js';
import { sha256Digest, parseDigest, digestFromHex, isDigest, type Digest } from '../digest/digest.js';
import { canonicalJson, compareUtf8 } from './canonical-json.js';
import { buildImageConfig, buildIndex, buildManifest, epochToRfc3339, parsePlatform } from './build.js';
import { isValidRefName, parseManifest, validateImage, validateImageConfig, validateIndex, validateManifest } from './validate.js';
import { MEDIA_TYPE_LAYER_GZIP } from './types.js';

const d = (s: string): Digest => sha256Digest(s);

test('digests: parse, validate, hex', () => {
  const x = d('a');
  assert.ok(isDigest(x));
  assert.equal(parseDigest(x), x);
  assert.equal(digestFromHex(x.slice(7)), x);
  for (const bad of ['sha256:ABC', `sha512:${'0'.repeat(64)}`, `sha256:${'0'.repeat(63)}`, `SHA256:${'0'.repeat(64)}`]) {
    assert.throws(() => parseDigest(bad), (e: unknown) => e instanceof StrataError && e.code === 'digest/invalid');
  }
});

test('canonical JSON: sorted keys by UTF-8 bytes, no spaces, documented escapes', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], é: 0, Z: -0, u: undefined }), '{"Z":0,"a":[true,null,"x"],"b":1,"é":0}');
  assert.equal(canonicalJson('\u0001"\\\n\t<>&\u2028é'), '"\\u0001\\"\\\\\\n\\t<>&\u2028é"');
  assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 }), '{"\uFFFF":2,"\u{1F600}":1}', 'code point order, not UTF-16 order');
  for (const bad of [1.5, NaN, 2 ** 60, '\uD800', new Date(0)]) {
    assert.throws(() => canonicalJson({ x: bad }), (e: unknown) => e instanceof StrataError && e.code === 'oci/not-canonical');
  }
});

test('canonical JSON parses back to the same value and is stable (property)', () => {
  const key = fc.string({ unit: 'grapheme', maxLength: 6 });
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ unit: 'grapheme' }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
  })).v;
  fc.assert(
    fc.property(value, (v) => {
      const s = canonicalJson(v);
      assert.equal(canonicalJson(JSON.parse(s)), s);
      assert.ok(!/[\n ]/.test(s.replace(/"(?:[^"\\]|\\.)*"/g, '""')), 'no whitespace outside strings');
    }),
    { numRuns: 200 },
  );
  assert.ok(compareUtf8('a', 'b') < 0 && compareUtf8('ab', 'a') > 0);
});

test('config, manifest and index builders are deterministic and valid', () => {
  const layers = [
    { mediaType: MEDIA_TYPE_LAYER_GZIP, digest: d('l1'), size: 10 },
    { mediaType: MEDIA_TYPE_LAYER_GZIP, digest: d('l2'), size: 20 },
  ];
  const mk = () =>
    buildImageConfig({
      platform: parsePlatform('linux/386'),
      sourceDateEpoch: 1,
      diffIds: [d('t1'), d('t2')],
      config: { Env: ['PATH=/bin'], Entrypoint: ['/bin/sh'], Cmd: [], WorkingDir: '/', User: '1000', Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {} }, Volumes: {}, StopSignal: 'SIGTERM' },
      history: [{ created_by: 'RUN a' }, { created_by: 'ENV x', empty_layer: true }, { created_by: 'COPY b' }],
    });
  const c1 = mk();
  const c2 = mk();
  assert.deepEqual(c1.bytes, c2.bytes);
  assert.equal(c1.value.created, '1970-01-01T00:00:01Z');
  assert.ok(c1.value.history!.every((h) => h.created === '1970-01-01T00:00:01Z'));
  assert.equal(c1.value.architecture, '386');
  assert.deepEqual(c1.value.config?.Cmd, [], 'an explicit empty array is kept');
  assert.equal(c1.value.config?.Volumes, undefined, 'empty maps are dropped');
  assert.deepEqual(validateImageConfig(JSON.parse(new TextDecoder().decode(c1.bytes))), []);
  const m = buildManifest(c1.descriptor, layers);
  assert.deepEqual(validateManifest(m.value), []);
  assert.deepEqual(validateImage(m.value, c1.value), []);
  const parsed = parseManifest(m.bytes, 'test');
  assert.equal(parsed.layers.length, 2);
  const idx = buildIndex([{ ...m.descriptor, platform: { os: 'linux', architecture: '386' }, annotations: { 'org.opencontainers.image.ref.name': 'core-x' } }]);
  assert.deepEqual(validateIndex(idx.value), []);
  assert.equal(epochToRfc3339(1700000000), '2023-11-14T22:13:20Z');
});

test('validation reports every broken invariant', () => {
  const good = buildManifest({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 3 }, [{ mediaType: MEDIA_TYPE_LAYER_GZIP, digest: d('l'), size: 1 }]).value;
  const bad = JSON.parse(JSON.stringify(good));
  bad.schemaVersion = 1;
  bad.config.mediaType = 'application/octet-stream';
  bad.layers[0].digest = 'sha256:xyz';
  bad.layers[0].size = -1;
  const probs = validateManifest(bad).map((p) => p.path);
  assert.deepEqual(probs, ['$.schemaVersion', '$.config.mediaType', '$.layers[0].digest', '$.layers[0].size']);
  const cfg = buildImageConfig({ platform: parsePlatform('linux/amd64'), sourceDateEpoch: 1, diffIds: [] }).value;
  assert.match(validateImage(good, cfg)[0]!.message, /0 entries but the manifest has 1 layers/);
  assert.deepEqual(validateImageConfig({ architecture: 'AMD64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['x'] }, created: 'yesterday' }).map((p) => p.path), ['$.architecture', '$.created', '$.rootfs.diff_ids[0]']);
  assert.deepEqual(validateIndex({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'x/y', digest: d('m'), size: 1, platform: { os: 'linux' } }] }).map((p) => p.path), ['$.manifests[0].mediaType', '$.manifests[0].platform.architecture']);
  assert.throws(() => parseManifest(new TextEncoder().encode('{"schemaVersion":2'), 'blob'), (e: unknown) => e instanceof StrataError && e.code === 'oci/bad-json');
  assert.throws(() => parsePlatform('linux'), (e: unknown) => e instanceof StrataError && e.code === 'oci/bad-platform');
});

test('ref names follow the OCI layout grammar', () => {
  for (const ok of ['core-gcc', 'stagex/core-gcc', 'a.b_c:1', 'x--y']) assert.ok(isValidRefName(ok), ok);
  for (const bad of ['', '-a', 'a/', 'a b', 'a//b', 'é']) assert.ok(!isValidRefName(bad), bad);
});

test('compareUtf8 orders as UTF-8 bytes do, for any strings (lone surrogates included)', async () => {
  const fc = (await import('fast-check')).default;
  const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
  const str = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', 'b', '\u00e9', '\ud800', '\udc00', '\ud83d\ude00', '\ue000', '\uffff') }));
  fc.assert(fc.property(str, str, (a, b) => {
    const want = sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    return sign(compareUtf8(a, b)) === want && sign(compareUtf8(b, a)) === -want;
  }), { numRuns: 3000 });
  assert.ok(compareUtf8('\uffff', '\ud83d\ude00') < 0, 'U+FFFF sorts before U+1F600 in UTF-8');
});
