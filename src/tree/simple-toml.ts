/**
 * A fast reader for the plain subset of TOML that package.toml and strata.toml files are
 * written in: `[a.b]` headers with bare keys, `key = value` with a bare key, values that
 * are basic strings without escapes, literal strings, arrays of those (over several lines,
 * with comments and a trailing comma), small decimal integers and booleans; comments and
 * blank lines.
 *
 * Anything else — escapes, multi-line strings, dotted or quoted keys, inline tables, arrays
 * of tables, floats, dates, CR, control characters, a key or table given twice — returns
 * `undefined`, and the caller uses the full TOML parser (smol-toml), which also writes the
 * error messages. For every document it accepts, the result equals smol-toml's (pinned by a
 * differential test). It exists because parsing 500 package.toml files with the general
 * parser was a fifth of `strata plan`'s CPU time (docs/adr/0027). Pure: no I/O.
 */

const TAB = 9;
const NL = 10;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const APOS = 39;
const COMMA = 44;
const DOT = 46;
const EQ = 61;
const LBRACKET = 91;
const RBRACKET = 93;

/** Control characters TOML forbids or that need care (CR), DEL, and a byte-order mark. */
const OUTSIDE_SUBSET = /[\u0000-\u0008\u000b-\u001f\u007f\ufeff]/;
const INTEGER = /^(0|[1-9][0-9]{0,14})$/;

type Table = Record<string, unknown>;

function skipBlanks(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c !== SPACE && c !== TAB) break;
    pos++;
  }
  return pos;
}

/** Skips blanks, newlines and comments (inside arrays). */
function skipVoid(text: string, pos: number): number {
  for (;;) {
    pos = skipBlanks(text, pos);
    const c = text.charCodeAt(pos);
    if (c === NL) pos++;
    else if (c === HASH) pos = lineEnd(text, pos);
    else return pos;
  }
}

function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl;
}

/** End of a bare key (A-Z a-z 0-9 _ -) starting at pos. */
function bareKeyEnd(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
    if (!ok) break;
    pos++;
  }
  return pos;
}

/** After a header or a value: only blanks, then a comment, a newline or the end. Returns the next line's start, or -1. */
function endOfLine(text: string, pos: number): number {
  pos = skipBlanks(text, pos);
  if (pos >= text.length) return pos;
  const c = text.charCodeAt(pos);
  if (c === NL) return pos + 1;
  if (c === HASH) return lineEnd(text, pos);
  return -1;
}

/** A one-line string without escapes at pos (a quote char); [value, end] or undefined. */
function readString(text: string, pos: number): [string, number] | undefined {
  const q = text.charCodeAt(pos);
  if (text.charCodeAt(pos + 1) === q && text.charCodeAt(pos + 2) === q) return undefined; // multi-line
  const close = text.indexOf(q === QUOTE ? '"' : "'", pos + 1);
  if (close < 0) return undefined;
  const value = text.slice(pos + 1, close);
  if (value.includes('\n') || (q === QUOTE && value.includes('\\'))) return undefined; // unterminated, or an escape
  return [value, close + 1];
}

function readValue(text: string, pos: number): [unknown, number] | undefined {
  const c = text.charCodeAt(pos);
  if (c === QUOTE || c === APOS) return readString(text, pos);
  if (c === LBRACKET) {
    const items: string[] = [];
    pos = skipVoid(text, pos + 1);
    while (text.charCodeAt(pos) !== RBRACKET) {
      const q = text.charCodeAt(pos);
      if (q !== QUOTE && q !== APOS) return undefined;
      const s = readString(text, pos);
      if (!s) return undefined;
      items.push(s[0]);
      pos = skipVoid(text, s[1]);
      if (text.charCodeAt(pos) === COMMA) pos = skipVoid(text, pos + 1);
      else if (text.charCodeAt(pos) !== RBRACKET) return undefined;
    }
    return [items, pos + 1];
  }
  // a bare word up to the end of the value: true, false or a small integer
  let end = pos;
  while (end < text.length) {
    const d = text.charCodeAt(end);
    if (d === SPACE || d === TAB || d === NL || d === HASH) break;
    end++;
  }
  const word = text.slice(pos, end);
  if (word === 'true') return [true, end];
  if (word === 'false') return [false, end];
  if (INTEGER.test(word)) return [Number(word), end];
  return undefined;
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The document as smol-toml would return it, or undefined when it is outside the subset. */
export function parseSimpleToml(text: string): Table | undefined {
  if (OUTSIDE_SUBSET.test(text)) return undefined;
  const root: Table = {};
  const defined = new Set<Table>([root]);
  let table = root;
  let pos = 0;
  while (pos < text.length) {
    pos = skipBlanks(text, pos);
    const c = text.charCodeAt(pos);
    if (pos >= text.length) break;
    if (c === NL) {
      pos++;
      continue;
    }
    if (c === HASH) {
      pos = lineEnd(text, pos);
      continue;
    }
    if (c === LBRACKET) {
      if (text.charCodeAt(pos + 1) === LBRACKET) return undefined; // array of tables
      let t = root;
      pos++;
      for (;;) {
        pos = skipBlanks(text, pos);
        const end = bareKeyEnd(text, pos);
        if (end === pos) return undefined;
        const key = text.slice(pos, end);
        if (key === '__proto__') return undefined;
        let next = Object.hasOwn(t, key) ? t[key] : undefined;
        if (next === undefined) {
          next = {};
          t[key] = next;
        } else if (!isTable(next)) {
          return undefined;
        }
        t = next as Table;
        pos = skipBlanks(text, end);
        const d = text.charCodeAt(pos);
        if (d === DOT) {
          pos++;
          continue;
        }
        if (d !== RBRACKET) return undefined;
        pos++;
        break;
      }
      if (defined.has(t)) return undefined; // a table defined twice
      defined.add(t);
      table = t;
      pos = endOfLine(text, pos);
      if (pos < 0) return undefined;
      continue;
    }
    const end = bareKeyEnd(text, pos);
    if (end === pos) return undefined;
    const key = text.slice(pos, end);
    if (key === '__proto__' || Object.hasOwn(table, key)) return undefined;
    pos = skipBlanks(text, end);
    if (text.charCodeAt(pos) !== EQ) return undefined; // dotted keys and the like
    const v = readValue(text, skipBlanks(text, pos + 1));
    if (!v) return undefined;
    table[key] = v[0];
    pos = endOfLine(text, v[1]);
    if (pos < 0) return undefined;
  }
  return root;
}
