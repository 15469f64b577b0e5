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

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

/** Splits like BuildKit's parseWords, keeping the start offset of every word. */
export function splitWordsAt(text: string, escape: string = '\\'): PositionedWord[] {
  const words: PositionedWord[] = [];
  let word = '';
  let start = -1;
  let quote: string | undefined;
  let inWord = false;
  const finish = (): void => {
    if (inWord) words.push({ text: word, start });
    word = '';
    inWord = false;
  };
  for (let pos = 0; pos < text.length; pos++) {
    const ch = text[pos]!;
    if (quote === undefined) {
      if (isSpace(ch)) {
        finish();
        continue;
      }
      if (!inWord) {
        inWord = true;
        start = pos;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        word += ch;
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === text.length) continue;
        word += ch + text[pos + 1];
        pos++;
        continue;
      }
      word += ch;
    } else {
      if (ch === quote) {
        quote = undefined;
        word += ch;
        continue;
      }
      if (ch === escape && quote !== "'") {
        if (pos + 1 === text.length) continue;
        word += ch + text[pos + 1];
        pos++;
        continue;
      }
      word += ch;
    }
  }
  finish();
  return words;
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
    while (pos < text.length && isSpace(text[pos]!)) pos++;
    if (pos >= text.length) return { flags, rest: text.length };
    if (!(text[pos] === '-' && text[pos + 1] === '-')) return { flags, rest: pos };
    const start = pos;
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
    if (word === '--') {
      while (pos < text.length && isSpace(text[pos]!)) pos++;
      return { flags, rest: pos };
    }
    const body = word.slice(2);
    const eq = body.indexOf('=');
    flags.push(eq < 0 ? { name: body, value: undefined, start } : { name: body.slice(0, eq), value: body.slice(eq + 1), start });
  }
}
