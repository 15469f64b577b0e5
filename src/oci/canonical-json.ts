/**
 * Canonical JSON, the one serialisation strata uses for every JSON blob it hashes
 * (image configs, manifests, indexes). Defined precisely so other implementations can
 * reproduce the bytes (docs/reproducibility.md):
 *
 * - objects: members sorted by key, keys compared as UTF-8 byte strings; members whose
 *   value is `undefined` are omitted; no whitespace anywhere;
 * - arrays: in order, `undefined` elements are an error;
 * - strings: UTF-8; escaped are `"` → `\"`, `\` → `\\`, U+0008 `\b`, U+000C `\f`,
 *   U+000A `\n`, U+000D `\r`, U+0009 `\t`, other U+0000–U+001F as `\u00xx` (lowercase
 *   hex); everything else (including `<`, `>`, `&`, U+2028, U+2029 and non-ASCII) is
 *   written literally. Lone surrogates are an error (they have no UTF-8 encoding);
 * - numbers: integers in the safe range only (−2^53+1 … 2^53−1), in decimal, no
 *   exponent, `-0` written as `0`; non-integers, NaN and infinities are an error;
 * - `true`, `false`, `null` as themselves. No trailing newline.
 *
 * Pure: no I/O.
 */
import { StrataError } from '../errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

const utf8 = new TextEncoder();

/** Compare two strings by their UTF-8 bytes (equals code point order). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // Fast path: below U+D800, UTF-16 code unit order is code point order, which is UTF-8
  // byte order. Only a difference involving a surrogate or U+E000..U+FFFF needs the bytes.
  const n16 = Math.min(a.length, b.length);
  for (let i = 0; i < n16; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca < 0xd800 && cb < 0xd800) return ca - cb;
    return compareEncoded(a, b);
  }
  // One is a prefix of the other — unless it ends in a lone high surrogate, which encodes
  // as U+FFFD and may then sort after the longer string's pair.
  const last = n16 > 0 ? (a.length < b.length ? a : b).charCodeAt(n16 - 1) : 0;
  if (last >= 0xd800 && last <= 0xdbff) return compareEncoded(a, b);
  return a.length - b.length;
}

function compareEncoded(a: string, b: string): number {
  const ab = utf8.encode(a);
  const bb = utf8.encode(b);
  const n = Math.min(ab.length, bb.length);
  for (let i = 0; i < n; i++) {
    const d = ab[i]! - bb[i]!;
    if (d !== 0) return d;
  }
  return ab.length - bb.length;
}

export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, '$');
  return parts.join('');
}

/** Canonical JSON as UTF-8 bytes: what gets hashed and stored. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

function fail(path: string, what: string): never {
  throw new StrataError('oci/not-canonical', `cannot write canonical JSON at ${path}: ${what}`, {
    hint: 'only null, booleans, safe integers, well-formed strings, arrays and plain objects are allowed',
    kind: 'build',
  });
}

function write(v: unknown, out: string[], path: string): void {
  if (v === null) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isSafeInteger(v)) fail(path, `number ${v} is not a safe integer`);
      out.push(Object.is(v, -0) ? '0' : String(v));
      return;
    case 'string':
      out.push(quote(v, path));
      return;
    case 'object':
      break;
    default:
      fail(path, `unsupported ${typeof v}`);
  }
  if (Array.isArray(v)) {
    out.push('[');
    v.forEach((e, i) => {
      if (e === undefined) fail(`${path}[${i}]`, 'undefined array element');
      if (i > 0) out.push(',');
      write(e, out, `${path}[${i}]`);
    });
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) fail(path, 'not a plain object');
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort(compareUtf8);
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(quote(k, path), ':');
    write((v as Record<string, unknown>)[k], out, `${path}.${k}`);
  });
  out.push('}');
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const SHORT: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

function quote(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) fail(path, 'string contains a lone surrogate');
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92) {
      out += s.slice(start, i) + (SHORT[c] ?? `\\u00${c.toString(16).padStart(2, '0')}`);
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}
