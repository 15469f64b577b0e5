import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOB_CHARS, globToRegExp, resolveInContext } from './context-path.js';

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

test('globToRegExp: *, ? and classes match within one component; ] and escaped letters are literal', () => {
  assert.ok(globToRegExp('*.c').test('a.c') && !globToRegExp('*.c').test('a/b.c'));
  assert.ok(globToRegExp('f?o').test('foo') && !globToRegExp('f?o').test('fo'));
  assert.ok(globToRegExp('[ab]x').test('bx') && !globToRegExp('[!ab]x').test('ax'));
  // these two threw a SyntaxError in the builder's former copy ('u' regexes reject them)
  assert.ok(globToRegExp('a]*').test('a]b'));
  assert.ok(globToRegExp('\\a*').test('ab'));
  assert.ok(globToRegExp('\\*').test('*') && !globToRegExp('\\*').test('x'));
  assert.ok(globToRegExp('a.b+(c)').test('a.b+(c)') && !globToRegExp('a.b').test('axb'));
  assert.ok(GLOB_CHARS.test('a*') && !GLOB_CHARS.test('a]b'));
});
