import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError, StrataErrors, EXIT_INPUT, EXIT_CHECK_FAILED } from './errors.js';

test('format gives file:line:col: message — hint', () => {
  const e = new StrataError('tree/bad-hash', 'hash is not 64 hex digits', {
    location: { file: 'packages/core/zlib/package.toml', line: 9, col: 8 },
    hint: 'paste the full sha256 of the source archive',
  });
  assert.equal(e.format(), 'packages/core/zlib/package.toml:9:8: hash is not 64 hex digits — paste the full sha256 of the source archive');
  assert.equal(e.exitCode, EXIT_INPUT);
});

test('location parts are omitted when unknown', () => {
  assert.equal(new StrataError('x/y', 'm', { location: { file: 'f' } }).format(), 'f: m');
  assert.equal(new StrataError('x/y', 'm', { location: { file: 'f', line: 3 } }).format(), 'f:3: m');
  assert.equal(new StrataError('x/y', 'm').format(), 'm');
});

test('check and build failures exit 1, input errors exit 2', () => {
  assert.equal(new StrataError('q/short', 'quorum not met', { kind: 'check' }).exitCode, EXIT_CHECK_FAILED);
  assert.equal(new StrataError('b/run', 'RUN failed', { kind: 'build' }).exitCode, EXIT_CHECK_FAILED);
  assert.equal(new StrataError('i/bad', 'bad').exitCode, EXIT_INPUT);
});

test('an error list prints one line per error and exits 2 if any is an input error', () => {
  const list = new StrataErrors([
    new StrataError('a/b', 'first', { location: { file: 'a', line: 1, col: 1 } }),
    new StrataError('c/d', 'second', { kind: 'check' }),
  ]);
  assert.equal(list.format(), 'a:1:1: first\nsecond');
  assert.equal(list.exitCode, EXIT_INPUT);
  assert.equal(new StrataErrors([new StrataError('c/d', 'x', { kind: 'check' })]).exitCode, EXIT_CHECK_FAILED);
});

test('toJSON carries code, location and hint', () => {
  const e = new StrataError('a/b', 'm', { location: { file: 'f', line: 1 }, hint: 'h' });
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { code: 'a/b', message: 'm', location: { file: 'f', line: 1 }, hint: 'h' });
});
