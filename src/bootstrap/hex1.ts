/**
 * hex1 — the reference assembler (the bootstrapped hex1 tool must agree with it byte for
 * byte). hex1 is hex0 plus:
 *   - `:x` defines the one-character label x at the current output offset;
 *   - `%x` emits 4 bytes, little-endian: x's offset minus the offset just after the
 *     4 bytes (a 32-bit relative reference, as a CALL/JMP rel32 wants).
 * A label character is any printable ASCII byte except `#` and `;`.
 */
import { Cursor, inputError, isCommentStart, isNameByte, littleEndian } from './cursor.js';
import { hexDigitValue } from './hex0.js';
import type { SourceLocation } from '../errors.js';

interface Hole {
  readonly at: number;
  readonly label: string;
  readonly location: SourceLocation;
}

export function assembleHex1(source: string | Uint8Array, file = '<hex1>'): Uint8Array {
  const cur = Cursor.of(source, file);
  const out: number[] = [];
  const labels = new Map<string, number>();
  const holes: Hole[] = [];
  let high = -1;
  let highAt: SourceLocation | undefined;

  const noPendingDigit = (what: string): void => {
    if (high >= 0 && highAt) {
      throw inputError('hex1-odd-digit', `hex digit without a partner before ${what}`, highAt, 'hex digits come in pairs');
    }
  };

  while (!cur.done) {
    const where = cur.here();
    const c = cur.next();
    if (isCommentStart(c)) {
      cur.skipComment();
    } else if (c === 0x3a /* : */ || c === 0x25 /* % */) {
      noPendingDigit(c === 0x3a ? 'a label' : 'a reference');
      const name = cur.next();
      if (!isNameByte(name)) {
        throw inputError('hex1-bad-label', `'${String.fromCharCode(c)}' must be followed by a one-character label`, where, 'write e.g. :a or %a');
      }
      const label = String.fromCharCode(name);
      if (c === 0x3a) {
        if (labels.has(label)) throw inputError('hex1-duplicate-label', `label '${label}' is defined twice`, where, 'give each label its own character');
        labels.set(label, out.length);
      } else {
        holes.push({ at: out.length, label, location: where });
        out.push(0, 0, 0, 0);
      }
    } else {
      const v = hexDigitValue(c);
      if (v < 0) continue;
      if (high < 0) {
        high = v;
        highAt = where;
      } else {
        out.push(high * 16 + v);
        high = -1;
      }
    }
  }
  noPendingDigit('the end of the file');
  for (const h of holes) {
    const target = labels.get(h.label);
    if (target === undefined) throw inputError('hex1-undefined-label', `label '${h.label}' is never defined`, h.location, `define it with :${h.label}`);
    out.splice(h.at, 4, ...littleEndian(target - (h.at + 4), 4));
  }
  return Uint8Array.from(out);
}
