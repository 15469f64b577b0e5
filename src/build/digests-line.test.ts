/** The no-change fast path of digests files: a line already right is recognised without parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasDigestLine, setDigestLine } from './digests-file.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

test('hasDigestLine: true only when exactly that line is there and no other line names the image', () => {
  const text = setDigestLine(setDigestLine('', 'core-a', A), 'core-b', B);
  assert.equal(hasDigestLine(text, 'core-a', A), true);
  assert.equal(hasDigestLine(text, 'core-b', B), true);
  assert.equal(hasDigestLine(text, 'core-a', B), false);
  assert.equal(hasDigestLine(text, 'core-c', A), false);
  assert.equal(hasDigestLine(text, 'core', A), false);
  assert.equal(hasDigestLine('', 'core-a', A), false);
  // a stale duplicate line for the image, before or after: not right yet
  assert.equal(hasDigestLine(`${B} core-a\n${A} core-a\n`, 'core-a', A), false);
  assert.equal(hasDigestLine(`${A} core-a\n${B} core-a\n`, 'core-a', A), false);
  // a longer name ending in the image's name is another image
  assert.equal(hasDigestLine(`${B} x-core-a\n${A} core-a\n`, 'core-a', A), true);
  assert.equal(hasDigestLine(`${A} x-core-a\n`, 'core-a', A), false);
  // no final newline: the slow path rewrites it
  assert.equal(hasDigestLine(`${A} core-a`, 'core-a', A), false);
});

test('hasDigestLine agrees with setDigestLine on canonical files', () => {
  const names = ['core-a', 'core-ab', 'core-b', 'x'];
  let text = '';
  for (const [i, n] of names.entries()) text = setDigestLine(text, n, String(i).repeat(64));
  for (const [i, n] of names.entries()) {
    for (const hex of [String(i).repeat(64), A]) {
      assert.equal(hasDigestLine(text, n, hex), setDigestLine(text, n, hex) === text, `${n} ${hex.slice(0, 4)}`);
    }
  }
});
