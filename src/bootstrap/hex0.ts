/**
 * The hex0 reader: the one piece of strata a person must read to trust how the seed
 * enters a build (docs/bootstrap.md). Keep it this small.
 *
 * The hex0 language:
 *   - two hex digits (0-9, A-F, a-f) make one byte, high nibble first;
 *   - `#` or `;` starts a comment that runs to the end of the line (LF);
 *   - every other byte is ignored.
 *
 * The seed program implements the same language; the only difference is that the seed
 * silently drops a final unpaired digit, where this reader refuses it.
 */
import { StrataError } from '../errors.js';

export function decodeHex0(source: string | Uint8Array, file = '<hex0>'): Uint8Array {
  const input = typeof source === 'string' ? new TextEncoder().encode(source) : source;
  const out: number[] = [];
  let high = -1; // the pending high nibble, or -1 when none
  let line = 1;
  let col = 0;
  let highLine = 0;
  let highCol = 0;
  let inComment = false;
  for (const c of input) {
    col++;
    if (c === 0x0a) {
      line++;
      col = 0;
      inComment = false;
      continue;
    }
    if (inComment) continue;
    if (c === 0x23 /* # */ || c === 0x3b /* ; */) {
      inComment = true;
      continue;
    }
    const v = hexDigitValue(c);
    if (v < 0) continue;
    if (high < 0) {
      high = v;
      highLine = line;
      highCol = col;
    } else {
      out.push(high * 16 + v);
      high = -1;
    }
  }
  if (high >= 0) {
    throw new StrataError('bootstrap/hex0-odd-digit', 'hex digit without a partner: hex0 needs pairs of digits', {
      location: { file, line: highLine, col: highCol },
      hint: 'add the missing digit or remove the stray one',
    });
  }
  return Uint8Array.from(out);
}

/** 0..15 for an ASCII hex digit, -1 for anything else. */
export function hexDigitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10; // A-F
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10; // a-f
  return -1;
}
