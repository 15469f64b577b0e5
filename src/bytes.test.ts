import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes } from './bytes.js';

test('concatBytes: parts in order in one fresh Uint8Array', () => {
  assert.deepEqual([...concatBytes([])], []);
  assert.deepEqual([...concatBytes([new Uint8Array(0), new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])])], [1, 2, 3]);
  const one = new Uint8Array([9, 8]);
  const copy = concatBytes([one]);
  assert.notEqual(copy, one);
  assert.equal(Object.getPrototypeOf(concatBytes([Buffer.from('ab')])), Uint8Array.prototype);
  copy[0] = 0;
  assert.equal(one[0], 9);
  // a view into a larger buffer contributes only its own bytes
  const big = new Uint8Array([0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...concatBytes([big.subarray(2, 4), big.subarray(5)])], [2, 3, 5]);
});
