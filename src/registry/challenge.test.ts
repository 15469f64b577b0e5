import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges, mergeScopes } from './challenge.js';
import { nextLink } from './client.js';
import { parseDistributionErrors, httpStatusError } from './errors.js';

test('Bearer challenge with quoted parameters', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
});

test('Basic challenge, several challenges in one header, escapes and token values', () => {
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges('Basic realm="a\\"b", Bearer realm="https://t", service=reg'), [
    { scheme: 'basic', params: { realm: 'a"b' } },
    { scheme: 'bearer', params: { realm: 'https://t', service: 'reg' } },
  ]);
  assert.deepEqual(parseChallenges('Negotiate abc123=='), [{ scheme: 'negotiate', params: {} }]);
  assert.deepEqual(parseChallenges(''), []);
});

test('scopes merge per resource with the union of actions, in a stable order', () => {
  assert.deepEqual(mergeScopes('repository:b:pull repository:a:pull', 'repository:a:pull', undefined), ['repository:a:pull', 'repository:b:pull']);
  assert.deepEqual(mergeScopes('repository:a/b:push,pull', 'repository:a/b:pull,push'), ['repository:a/b:pull,push']);
  assert.deepEqual(mergeScopes('repository:a:push', 'repository:a:pull registry:catalog:*'), ['registry:catalog:*', 'repository:a:pull,push']);
});

test('Link header: rel="next" resolved against the request URL', () => {
  const base = new URL('http://127.0.0.1:5000/v2/a/tags/list?n=2');
  assert.equal(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"', base)?.href, 'http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2');
  assert.equal(nextLink('</x>; rel="prev", </y>; rel=next', base)?.pathname, '/y');
  assert.equal(nextLink(undefined, base), undefined);
  assert.equal(nextLink('</x>; rel="prev"', base), undefined);
});

test('distribution error bodies: codes sanitised, junk ignored', () => {
  assert.deepEqual(parseDistributionErrors(Buffer.from('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')), [
    { code: 'DENIED', message: 'requested access to the resource is denied' },
  ]);
  assert.deepEqual(parseDistributionErrors(Buffer.from('{"errors":[{"code":"X\\u001b[31m","message":"a\\u001bb"}]}')), [{ code: 'X31M', message: 'a?b' }]);
  assert.deepEqual(parseDistributionErrors(Buffer.from('<html>')), []);
  assert.deepEqual(parseDistributionErrors(Buffer.from('{"errors":"no"}')), []);
  const e = httpStatusError(403, Buffer.from('{"errors":[{"code":"DENIED","message":"no"}]}'), 'reg/x', 'PUT manifest 1');
  assert.equal(e.code, 'registry/denied');
  assert.match(e.format(), /^reg\/x: PUT manifest 1 failed: DENIED: no \(HTTP 403\) — /);
  assert.equal(httpStatusError(502, Buffer.from('bad gateway'), 'reg/x', 'GET').code, 'registry/http-error');
});
