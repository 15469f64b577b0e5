/**
 * Word expansion: Docker's documented environment-replacement cases (the Dockerfile
 * reference and BuildKit's shell-lexer behaviour) as a table, plus properties checked
 * with fast-check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../errors.js';
import { escapeLiteral, expandWord } from './expand.js';
import { splitWords } from './words.js';

const ENV: Record<string, string> = { PWD: '/home', SHELL: 'bash', NULL: '' };
const lookup = (n: string): string | undefined => ENV[n];

/** [word, expected] — expected null means an error. Backslash is the escape char. */
const TABLE: readonly [string, string | null][] = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", null],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", null],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', null],
  ['"hello\\"', null],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", null],
  ["'hello\\'", 'hello\\'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['$', '$'],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ["'he\\$PWD'", 'he\\$PWD'],
  ['he${PWD', null],
  ['he${PWD}', 'he/home'],
  ['he${.}', null],
  ['he${}', null],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', null],
  ['he${XXX?}', null],
  ['he${XXX:?}', null],
  ['he${PWD?}', 'he/home'],
  ['he${PWD:?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['he${NULL:?}', null],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ['"$PWD"', '/home'],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ['he${PWD:=000}xx', null],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
  ["안'녕'하세요", '안녕하세요'],
  ['${NULL-x}', ''],
  ['${NULL:-x}', 'x'],
  ['${NULL+x}', 'x'],
  ['${NULL:+x}', ''],
  ['${XXX-x}', 'x'],
  ['${XXX+x}', ''],
  ['${PWD#/}', null],
  ['${PWD%e}', null],
  ['${PWD/h/H}', null],
  ['"${XXX:-a b}"', 'a b'],
  ['${XXX:-"a}b"}', 'a}b'],
];

test("Docker's expansion table", () => {
  for (const [word, expected] of TABLE) {
    if (expected === null) {
      assert.throws(() => expandWord(word, lookup), (e: unknown) => e instanceof StrataError && e.code.startsWith('containerfile/'), word);
    } else {
      assert.equal(expandWord(word, lookup), expected, word);
    }
  }
});

test('backtick escape: ` escapes, \\ is literal', () => {
  assert.equal(expandWord('C:\\dir\\$PWD', lookup, '`'), 'C:\\dir\\/home');
  assert.equal(expandWord('a`$PWD', lookup, '`'), 'a$PWD');
  assert.equal(expandWord('"a`"b"', lookup, '`'), 'a"b');
});

test('errors carry the word location when a site is given', () => {
  assert.throws(
    () => expandWord('ab${X', lookup, '\\', { file: 'Containerfile', loc: { line: 4, col: 10 } }),
    (e: unknown) => e instanceof StrataError && e.code === 'containerfile/bad-substitution'
      && e.location?.file === 'Containerfile' && e.location.line === 4 && e.location.col === 12,
  );
  assert.throws(
    () => expandWord('"open', lookup, '\\', { file: 'F', loc: { line: 1, col: 5 } }),
    (e: unknown) => e instanceof StrataError && e.code === 'containerfile/unterminated-quote' && e.location?.col === 5,
  );
});

const NAME = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const PLAIN = fc.string({ maxLength: 30 }).filter((s) => !/[$'"\\]/.test(s));
const VALUE = fc.string({ maxLength: 20 });

test('words without $, quotes or escape are unchanged', () => {
  fc.assert(fc.property(PLAIN, (w) => expandWord(w, () => 'X') === w));
});

test('${V} and $V agree (followed by a non-name char)', () => {
  fc.assert(fc.property(NAME, fc.option(VALUE, { nil: undefined }), (name, value) => {
    const lk = (n: string): string | undefined => (n === name ? value : undefined);
    return expandWord(`\${${name}}/`, lk) === expandWord(`$${name}/`, lk) && expandWord(`$${name}/`, lk) === `${value ?? ''}/`;
  }));
});

test('${V:-w} is V when set and non-empty, else w; ${V-w} is V when set, else w', () => {
  fc.assert(fc.property(NAME, fc.option(VALUE, { nil: undefined }), PLAIN.filter((s) => !s.includes('}')), (name, value, w) => {
    const lk = (n: string): string | undefined => (n === name ? value : undefined);
    const colon = expandWord(`\${${name}:-${w}}`, lk);
    const plain = expandWord(`\${${name}-${w}}`, lk);
    return colon === (value ? value : w) && plain === (value !== undefined ? value : w);
  }));
});

test('${V:+w} is w when V is set and non-empty, else empty; ${V+w} is w when set', () => {
  fc.assert(fc.property(NAME, fc.option(VALUE, { nil: undefined }), PLAIN.filter((s) => !s.includes('}')), (name, value, w) => {
    const lk = (n: string): string | undefined => (n === name ? value : undefined);
    return expandWord(`\${${name}:+${w}}`, lk) === (value ? w : '') && expandWord(`\${${name}+${w}}`, lk) === (value !== undefined ? w : '');
  }));
});

test('escaping then expanding gives the literal back (both escape chars)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.constantFrom<'\\' | '`'>('\\', '`'), (s, esc) =>
    expandWord(escapeLiteral(s, esc), () => 'NO', esc) === s));
});

test('single-quoted text is literal', () => {
  fc.assert(fc.property(fc.string({ maxLength: 30 }).filter((s) => !s.includes("'")), (s) => expandWord(`'${s}'`, () => 'NO') === s));
});

test('splitWords keeps quotes and escapes and splits on unquoted blanks', () => {
  assert.deepEqual(splitWords('a "b c" \'d e\' f\\ g'), ['a', '"b c"', "'d e'", 'f\\ g']);
  assert.deepEqual(splitWords('  x   y  '), ['x', 'y']);
  assert.deepEqual(splitWords('x`  y', '`'), ['x` ', 'y']);
  fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z0-9/._-]{1,8}$/), { maxLength: 6 }), (ws) =>
    JSON.stringify(splitWords(ws.join(' '))) === JSON.stringify(ws)));
});
