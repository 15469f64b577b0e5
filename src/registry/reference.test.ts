import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, parseRepositoryPrefix, formatReference, isLoopbackHost, requireTagOrDigest } from './reference.js';
import { isStrataError } from '../errors.js';

const D = `sha256:${'ab'.repeat(32)}`;

test('references with registry, namespace, tag and digest', () => {
  assert.deepEqual(parseReference('127.0.0.1:5000/stagex/core-gcc:13.1'), { registry: '127.0.0.1:5000', repository: 'stagex/core-gcc', tag: '13.1' });
  assert.deepEqual(parseReference(`localhost/stagex/core-gcc@${D}`), { registry: 'localhost', repository: 'stagex/core-gcc', digest: D });
  assert.deepEqual(parseReference(`[::1]:5000/a/b:t@${D}`), { registry: '[::1]:5000', repository: 'a/b', tag: 't', digest: D });
  assert.deepEqual(parseReference('ghcr.io/org/sub/img'), { registry: 'ghcr.io', repository: 'org/sub/img' });
});

test('Docker defaults: no registry means docker.io, one component means library/', () => {
  assert.deepEqual(parseReference('stagex/core-gcc:1'), { registry: 'docker.io', repository: 'stagex/core-gcc', tag: '1' });
  assert.deepEqual(parseReference('alpine'), { registry: 'docker.io', repository: 'library/alpine' });
  assert.deepEqual(parseReference('index.docker.io/stagex/x'), { registry: 'docker.io', repository: 'stagex/x' });
});

test('format round-trips', () => {
  for (const s of ['127.0.0.1:5000/stagex/core-gcc:13.1', `127.0.0.1:5000/stagex/x@${D}`, `reg.example/a/b:c@${D}`]) {
    assert.equal(formatReference(parseReference(s)), s);
  }
});

test('bad references are input errors with a hint', () => {
  for (const s of ['', ' a/b', 'Stagex/X', 'reg.example/a//b', 'reg.example/a/b:', 'reg.example/a/b@sha256:abc', 'reg.example/a/b:-bad', 'reg.example:99999/a', `reg.example/${'a'.repeat(300)}`, 'reg.example/a/../b']) {
    assert.throws(() => parseReference(s), (e: unknown) => {
      assert.ok(isStrataError(e), s);
      assert.equal(e.code, 'registry/bad-reference');
      assert.equal(e.exitCode, 2);
      assert.ok(e.hint);
      return true;
    }, s);
  }
});

test('publish targets need an explicit registry', () => {
  assert.deepEqual(parseRepositoryPrefix('127.0.0.1:5000/stagex'), { registry: '127.0.0.1:5000', namespace: 'stagex' });
  assert.deepEqual(parseRepositoryPrefix('localhost/stagex/sub/'), { registry: 'localhost', namespace: 'stagex/sub' });
  assert.throws(() => parseRepositoryPrefix('stagex'), /REGISTRY\/NAMESPACE/);
  assert.throws(() => parseRepositoryPrefix('stagex/x'), /explicit registry host/);
});

test('loopback detection decides plain HTTP', () => {
  for (const h of ['127.0.0.1:5000', '127.1.2.3', 'localhost:80', 'LOCALHOST', '[::1]:5000', '[::1]']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['128.0.0.1', 'registry.example:5000', '[::2]:5000', '127.0.0.1.example', 'localhost.example']) assert.ok(!isLoopbackHost(h), h);
});

test('tags and digests as manifest references; anything else is refused (no path injection)', () => {
  assert.equal(requireTagOrDigest('v1.2_3'), 'v1.2_3');
  assert.equal(requireTagOrDigest(D), D);
  for (const s of ['../x', 'a/b', 'a?b', '', 'sha256:xyz']) assert.throws(() => requireTagOrDigest(s), { code: 'registry/bad-reference' } as object);
});
