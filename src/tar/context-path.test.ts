import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveInContext } from './context-path.js';

const links: Record<string, string> = {
  'a/up': '..',
  'a/self': '.',
  'a/abs': '/etc',
  'a/out': '../../x',
  'a/in': '../b',
  'loop1': 'loop2',
  'loop2': 'loop1',
};
const resolve = (p: string) => resolveInContext(p, (rel) => links[rel]);

test('paths inside the context resolve, symlinks followed while they stay inside', () => {
  assert.equal(resolve('a/b/c'), 'a/b/c');
  assert.equal(resolve('./a//b/./c/'), 'a/b/c');
  assert.equal(resolve('a/../b'), 'b');
  assert.equal(resolve('a/up/b'), 'b');
  assert.equal(resolve('a/self/f'), 'a/f');
  assert.equal(resolve('a/in/f'), 'b/f');
  assert.equal(resolve('.'), '');
});

test('absolute paths, .. above the root, escaping symlinks and loops are refused with a reason', () => {
  assert.deepEqual(resolve('/etc/passwd'), { why: 'is an absolute path' });
  assert.deepEqual(resolve('../x'), { why: "leaves the build context with '..'" });
  assert.deepEqual(resolve('a/../../x'), { why: "leaves the build context with '..'" });
  assert.deepEqual(resolve('a/abs/passwd'), { why: "goes through the symlink 'a/abs' → '/etc' out of the build context" });
  assert.deepEqual(resolve('a/out'), { why: "goes through the symlink 'a/out' → '../../x' out of the build context" });
  assert.deepEqual(resolve('loop1'), { why: 'has too many levels of symbolic links' });
});
