/**
 * M0 — the reference macro assembler (the bootstrapped M0 tool must agree with it byte
 * for byte). Input is a stream of tokens separated by whitespace, `#`/`;` comments to the
 * end of the line. Output is hex2 text: one line per emitted token.
 *
 *   DEFINE name value   `name` expands to `value` (written verbatim) from here on
 *   "text"              the bytes of text as hex pairs, then 00 (no escapes, no padding)
 *   'text'              text verbatim (raw hex or anything hex2 understands)
 *   !N @N $N %N ~N      N (decimal, or 0x hex, optionally negative) as 1, 2, 2, 4, 3
 *                       little-endian bytes; `$` is unsigned, the others accept
 *                       -2^(bits-1) .. 2^bits-1
 *   anything else       verbatim: hex digits, `:label`, `%label`, `&label`, …
 *
 * A name must be defined before it is used; defining it twice is an error.
 */
import { Cursor, inputError, isCommentStart, isWhitespace, littleEndian } from './cursor.js';
import type { SourceLocation } from '../errors.js';

interface Token {
  readonly kind: 'word' | 'string' | 'raw';
  readonly text: string;
  readonly location: SourceLocation;
}

const IMMEDIATE_SIZES: ReadonlyMap<string, number> = new Map([
  ['!', 1],
  ['@', 2],
  ['$', 2],
  ['%', 4],
  ['~', 3],
]);

const NUMBER = /^-?(?:0x[0-9A-Fa-f]+|[0-9]+)$/;

export function tokenizeM0(source: string | Uint8Array, file = '<M0>'): Token[] {
  const cur = Cursor.of(source, file);
  const tokens: Token[] = [];
  while (!cur.done) {
    const c = cur.peek();
    if (isWhitespace(c)) {
      cur.next();
    } else if (isCommentStart(c)) {
      cur.skipComment();
    } else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      const location = cur.here();
      cur.next();
      const text = cur.takeWhile((b) => b !== c);
      if (cur.done) throw inputError('m0-unterminated', `${c === 0x22 ? 'string' : 'raw'} literal is never closed`, location, `end it with ${String.fromCharCode(c)}`);
      cur.next();
      tokens.push({ kind: c === 0x22 ? 'string' : 'raw', text, location });
    } else {
      const location = cur.here();
      const text = cur.takeWhile((b) => !isWhitespace(b) && !isCommentStart(b));
      tokens.push({ kind: 'word', text, location });
    }
  }
  return tokens;
}

export function assembleM0(source: string | Uint8Array, file = '<M0>'): string {
  const tokens = tokenizeM0(source, file);
  const macros = new Map<string, string>();
  const verbatim: Token[] = [];
  const lines: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'string') {
      lines.push(hexOf([...new TextEncoder().encode(t.text), 0]));
    } else if (t.kind === 'raw') {
      lines.push(t.text);
    } else if (t.text === 'DEFINE') {
      const name = tokens[i + 1];
      const value = tokens[i + 2];
      if (!name || !value || name.kind !== 'word' || value.kind === 'string') {
        throw inputError('m0-bad-define', 'DEFINE needs a name and a value', t.location, 'write DEFINE NAME HEX, e.g. DEFINE syscall 0F05');
      }
      if (macros.has(name.text)) throw inputError('m0-duplicate-define', `'${name.text}' is defined twice`, name.location, 'remove one of the definitions');
      macros.set(name.text, value.text);
      i += 2;
    } else if (macros.has(t.text)) {
      lines.push(macros.get(t.text) as string);
    } else {
      const size = IMMEDIATE_SIZES.get(t.text[0] ?? '');
      const digits = t.text.slice(1);
      if (size !== undefined && NUMBER.test(digits)) {
        lines.push(hexOf(immediate(t, digits, size)));
      } else {
        verbatim.push(t);
        lines.push(t.text);
      }
    }
  }
  for (const t of verbatim) {
    if (macros.has(t.text)) {
      throw inputError('m0-used-before-define', `'${t.text}' is used before its DEFINE`, t.location, 'move the DEFINE above its first use');
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

function immediate(t: Token, digits: string, size: number): number[] {
  const negative = digits.startsWith('-');
  const magnitude = negative ? digits.slice(1) : digits;
  const value = (negative ? -1 : 1) * Number.parseInt(magnitude, magnitude.startsWith('0x') ? 16 : 10);
  const bits = size * 8;
  const unsigned = t.text[0] === '$';
  const min = unsigned ? 0 : -(2 ** (bits - 1));
  const max = 2 ** bits - 1;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw inputError('m0-out-of-range', `${t.text} does not fit in ${size} byte(s)`, t.location, `use a value between ${min} and ${max}`);
  }
  return littleEndian(value, size);
}

function hexOf(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}
