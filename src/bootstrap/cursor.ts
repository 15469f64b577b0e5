/**
 * A byte cursor with line/column tracking, shared by the reference assemblers
 * (hex1, hex2, M0). Pure: it only walks a Uint8Array.
 */
import { StrataError, type SourceLocation } from '../errors.js';

export class Cursor {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(
    readonly input: Uint8Array,
    readonly file: string,
  ) {}

  static of(source: string | Uint8Array, file: string): Cursor {
    return new Cursor(typeof source === 'string' ? new TextEncoder().encode(source) : source, file);
  }

  get done(): boolean {
    return this.pos >= this.input.length;
  }

  /** The current byte, or -1 at the end. */
  peek(): number {
    return this.pos < this.input.length ? (this.input[this.pos] as number) : -1;
  }

  /** Consume and return the current byte (-1 at the end). */
  next(): number {
    const c = this.peek();
    if (c < 0) return c;
    this.pos++;
    if (c === 0x0a) {
      this.line++;
      this.col = 1;
    } else {
      this.col++;
    }
    return c;
  }

  /** Where the current byte is. */
  here(): SourceLocation {
    return { file: this.file, line: this.line, col: this.col };
  }

  /** Skip to the end of the line (the LF is left for the caller). */
  skipComment(): void {
    while (!this.done && this.peek() !== 0x0a) this.next();
  }

  /** Consume a run of bytes for which `accept` holds and return them as text. */
  takeWhile(accept: (c: number) => boolean): string {
    const start = this.pos;
    while (!this.done && accept(this.peek())) this.next();
    return new TextDecoder().decode(this.input.subarray(start, this.pos));
  }
}

export function isCommentStart(c: number): boolean {
  return c === 0x23 /* # */ || c === 0x3b /* ; */;
}

export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Bytes allowed in a hex2 / M0 name: printable ASCII except the comment characters. */
export function isNameByte(c: number): boolean {
  return c > 0x20 && c < 0x7f && !isCommentStart(c);
}

export function inputError(code: string, message: string, location: SourceLocation, hint: string): StrataError {
  return new StrataError(`bootstrap/${code}`, message, { location, hint, kind: 'input' });
}

/** Little-endian two's-complement bytes of `value` in `size` bytes. */
export function littleEndian(value: number, size: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(size * 8, BigInt(value));
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}
