/**
 * The word splitter and the whitespace test are hot paths written with char codes; these
 * tests pin them to their plain definitions (JavaScript's `\s`, and BuildKit's parseWords
 * written the obvious way, one character at a time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { extractFlags, isWhitespaceCode, splitWordsAt } from './words.js';

test('isWhitespaceCode is exactly /\\s/ on every UTF-16 code unit', () => {
  for (let c = 0; c <= 0xffff; c++) {
    assert.equal(isWhitespaceCode(c), /\s/.test(String.fromCharCode(c)), `U+${c.toString(16)}`);
  }
});

/** parseWords as BuildKit writes it: build each word char by char, quotes and escapes kept. */
function referenceSplit(text: string, escape: string): { text: string; start: number }[] {
  const words: { text: string; start: number }[] = [];
  let word = '';
  let start = -1;
  let quote: string | undefined;
  let inWord = false;
  for (let pos = 0; pos < text.length; pos++) {
    const ch = text[pos]!;
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push({ text: word, start });
      word = '';
      inWord = false;
      continue;
    }
    if (!inWord) {
      inWord = true;
      start = pos;
    }
    if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
    else if (quote !== undefined && ch === quote) quote = undefined;
    else if (ch === escape && quote !== "'") {
      if (pos + 1 === text.length) continue;
      word += ch;
      pos++;
      word += text[pos];
      continue;
    }
    word += ch;
  }
  if (inWord) words.push({ text: word, start });
  return words;
}

test('splitWordsAt equals the character-by-character definition', () => {
  const unit = fc.constantFrom(...'ab \t\n"\'\\`$=\u00a0\u3000x');
  fc.assert(fc.property(fc.string({ unit, maxLength: 40 }), fc.constantFrom('\\', '`'), (text, escape) => {
    assert.deepEqual(splitWordsAt(text, escape), referenceSplit(text, escape));
  }), { numRuns: 2000 });
  assert.deepEqual(splitWordsAt('a "b c" d\\ e \\'), [{ text: 'a', start: 0 }, { text: '"b c"', start: 2 }, { text: 'd\\ e', start: 8 }, { text: '', start: 13 }]);
});

test('extractFlags stops at the first word that is not a flag, and at a bare --', () => {
  assert.deepEqual(extractFlags('COPY --from="a b" --link x y', 4), {
    flags: [{ name: 'from', value: 'a b', start: 5 }, { name: 'link', value: undefined, start: 18 }], rest: 25 });
  assert.deepEqual(extractFlags('RUN -- --x', 3), { flags: [], rest: 7 });
  assert.deepEqual(extractFlags('RUN   ', 3), { flags: [], rest: 6 });
});

/** extractBuilderFlags written the obvious way: every flag word built char by char. */
function referenceFlags(text: string, from: number): { flags: { name: string; value: string | undefined; start: number }[]; rest: number } {
  const flags: { name: string; value: string | undefined; start: number }[] = [];
  let pos = from;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) return { flags, rest: text.length };
    if (!text.startsWith('--', pos)) return { flags, rest: pos };
    const start = pos;
    let word = '';
    let quote: string | undefined;
    for (; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (quote === undefined && /\s/.test(ch)) break;
      if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
      else if (quote !== undefined && ch === quote) quote = undefined;
      else if (ch === '\\') {
        if (pos + 1 < text.length) word += text[++pos];
      } else word += ch;
    }
    if (word === '--') {
      while (pos < text.length && /\s/.test(text[pos]!)) pos++;
      return { flags, rest: pos };
    }
    const body = word.slice(2);
    const eq = body.indexOf('=');
    flags.push(eq < 0 ? { name: body, value: undefined, start } : { name: body.slice(0, eq), value: body.slice(eq + 1), start });
  }
}

test('extractFlags equals the character-by-character definition', () => {
  const unit = fc.constantFrom('-', '--', 'a', '=', ' ', '\t', '"', "'", '\\', 'x y', '\u00a0');
  fc.assert(fc.property(fc.array(unit, { maxLength: 14 }).map((us) => `RUN ${us.join('')}`), (text) => {
    assert.deepEqual(extractFlags(text, 3), referenceFlags(text, 3));
  }), { numRuns: 3000 });
});
