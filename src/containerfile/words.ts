/**
 * Word splitting for instruction arguments, following BuildKit's parser: words are
 * separated by whitespace outside quotes; quotes and escape characters are KEPT in the
 * word (they are removed later, by `expandWord`, when the word is evaluated). An escape
 * character at the very end of the text is dropped.
 */

export interface PositionedWord {
  /** The word as written (quotes and escapes kept). */
  readonly text: string;
  /** Offset of its first character in the split string. */
  readonly start: number;
}

/** Exactly the characters of JavaScript's `\s` (what BuildKit's Go code treats as space for ASCII). */
export function isWhitespaceCode(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isSpace(ch: string): boolean {
  return isWhitespaceCode(ch.charCodeAt(0));
}

/**
 * Splits like BuildKit's parseWords, keeping the start offset of every word. Quotes and
 * escapes stay in the word, so every word is a slice of `text` (an escape char at the very
 * end of the text is left out).
 */
export function splitWordsAt(text: string, escape: string = '\\'): PositionedWord[] {
  const words: PositionedWord[] = [];
  const esc = escape.charCodeAt(0);
  const n = text.length;
  let pos = 0;
  for (;;) {
    while (pos < n && isWhitespaceCode(text.charCodeAt(pos))) pos++;
    if (pos >= n) return words;
    const start = pos;
    let quote = 0;
    let end = -1;
    for (; pos < n; pos++) {
      const c = text.charCodeAt(pos);
      if (quote === 0) {
        if (isWhitespaceCode(c)) break;
        if (c === 39 || c === 34) quote = c;
        else if (c === esc) pos++;
      } else if (c === quote) {
        quote = 0;
      } else if (c === esc && quote !== 39) {
        pos++;
      }
    }
    // an escape char as the last character of the text is dropped
    if (pos > n) {
      end = n - 1;
      pos = n;
    } else {
      end = pos;
    }
    words.push({ text: text.slice(start, end), start });
  }
}

/**
 * Splits an argument list into words with quote handling (quotes and escapes kept; use
 * `expandWord` on each word to evaluate it).
 */
export function splitWords(text: string, escape: '\\' | '`' = '\\'): string[] {
  return splitWordsAt(text, escape).map((w) => w.text);
}

/** Splits on runs of whitespace only (BuildKit's parseStringsWhitespaceDelimited). */
export function splitOnWhitespaceAt(text: string): PositionedWord[] {
  const out: PositionedWord[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ text: m[0], start: m.index });
  return out;
}

export interface RawFlag {
  readonly name: string;
  readonly value: string | undefined;
  /** Offset of the leading `--`. */
  readonly start: number;
}

/**
 * Extracts leading `--name[=value]` flags as BuildKit's extractBuilderFlags does: quotes
 * inside a flag are removed, backslash escapes the next char, a bare `--` ends the
 * flags. Returns the flags and the offset where the arguments start.
 */
export function extractFlags(text: string, from: number): { flags: RawFlag[]; rest: number } {
  const flags: RawFlag[] = [];
  let pos = from;
  for (;;) {
    while (pos < text.length && isWhitespaceCode(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) return { flags, rest: text.length };
    if (!(text.charCodeAt(pos) === 45 && text.charCodeAt(pos + 1) === 45)) return { flags, rest: pos };
    const start = pos;
    // the usual flag has no quotes or backslashes: then it is a plain slice
    let end = pos;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (isWhitespaceCode(c) || c === 34 || c === 39 || c === 92) break;
      end++;
    }
    if (end === text.length || isWhitespaceCode(text.charCodeAt(end))) {
      pos = end;
      if (end === start + 2) break; // a bare `--` ends the flags
      pushFlag(flags, text.slice(start + 2, end), start);
      continue;
    }
    let word = '';
    let quote: string | undefined;
    for (; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (quote === undefined && isSpace(ch)) break;
      if (quote === undefined && (ch === '"' || ch === "'")) {
        quote = ch;
        continue;
      }
      if (quote !== undefined && ch === quote) {
        quote = undefined;
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 < text.length) word += text[++pos];
        continue;
      }
      word += ch;
    }
    if (word === '--') break;
    pushFlag(flags, word.slice(2), start);
  }
  while (pos < text.length && isSpace(text[pos]!)) pos++;
  return { flags, rest: pos };
}

/** `name=value` or `name` (the text after `--`). */
function pushFlag(flags: RawFlag[], body: string, start: number): void {
  const eq = body.indexOf('=');
  flags.push(eq < 0 ? { name: body, value: undefined, start } : { name: body.slice(0, eq), value: body.slice(eq + 1), start });
}
