/**
 * A strict JSON reader for signature payloads (RFC 8259 grammar, nothing more).
 *
 * JSON.parse silently keeps the last of duplicate object members, so two readers of the
 * same signed bytes could disagree on what was signed. This reader rejects duplicate
 * members, and also rejects what RFC 8259 does not allow (trailing commas, comments,
 * leading zeros, lone surrogates escaped as \uD800, control characters in strings).
 * It keeps objects as null-prototype records so a member named "__proto__" is plain data.
 *
 * Pure: no I/O. Errors are JsonSyntaxError with a byte offset; callers map them to a
 * reason code.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonErrorKind = 'syntax' | 'duplicate-key';

export class JsonSyntaxError extends Error {
  constructor(
    readonly kind: JsonErrorKind,
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Maximum nesting depth; payloads are three levels deep, so this is generous. */
const MAX_DEPTH = 64;

/** Parse `text` as one JSON value, strictly. Throws JsonSyntaxError. */
export function parseStrictJson(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail('unexpected data after the JSON value');
  return v;
}

/** Decode UTF-8 strictly (invalid sequences and a byte order mark rejected), then parse. */
export function parseStrictJsonBytes(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new JsonSyntaxError('syntax', 'payload is not valid UTF-8', 0);
  }
  if (text.startsWith('\uFEFF')) throw new JsonSyntaxError('syntax', 'payload starts with a byte order mark', 0);
  return parseStrictJson(text);
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(message: string, kind: JsonErrorKind = 'syntax', at = this.i): never {
    throw new JsonSyntaxError(kind, `${message} at offset ${at}`, at);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('JSON nested too deeply');
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  literal<T extends JsonValue>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail('invalid literal');
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail('invalid number');
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }

  string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // Only well-formed pairs can come out of the strict UTF-8 decoder; check anyway.
        const d = s.charCodeAt(this.i + 1);
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) this.fail('lone surrogate in string');
        this.i += 2;
        continue;
      }
      if (c === 0x5c) {
        out += s.slice(start, this.i);
        out += this.escape();
        start = this.i;
        continue;
      }
      this.i++;
    }
  }

  escape(): string {
    const s = this.s;
    const e = s[this.i + 1];
    this.i += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hi = this.hex4();
        if (hi >= 0xd800 && hi <= 0xdbff) {
          if (s[this.i] !== '\\' || s[this.i + 1] !== 'u') this.fail('lone surrogate escape');
          this.i += 2;
          const lo = this.hex4();
          if (lo < 0xdc00 || lo > 0xdfff) this.fail('lone surrogate escape');
          return String.fromCharCode(hi, lo);
        }
        if (hi >= 0xdc00 && hi <= 0xdfff) this.fail('lone surrogate escape');
        return String.fromCharCode(hi);
      }
      default:
        return this.fail('invalid escape', 'syntax', this.i - 2);
    }
  }

  hex4(): number {
    const h = this.s.slice(this.i, this.i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('invalid \\u escape');
    this.i += 4;
    return parseInt(h, 16);
  }

  object(depth: number): JsonObject {
    this.i++; // {
    const obj: JsonObject = Object.create(null) as JsonObject;
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a member name');
      const at = this.i;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate member ${JSON.stringify(key)}`, 'duplicate-key', at);
      seen.add(key);
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      obj[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return obj;
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    this.i++; // [
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }
}
