/**
 * hex2 — the reference linker (the bootstrapped hex2 tool must agree with it byte for
 * byte). hex2 is hex0 plus named labels and references:
 *
 *   :name   defines `name` at the current address (base + output offset)
 *   !name   1 byte,  relative: name − (address just after the field)
 *   @name   2 bytes, relative, the same way
 *   %name   4 bytes, relative, the same way
 *   $name   2 bytes, absolute: name's address
 *   &name   4 bytes, absolute: name's address
 *
 * All values are little-endian. A name is a run of printable ASCII other than `#`/`;`.
 * Every value must fit its field (signed for relative, unsigned for absolute).
 */
import { Cursor, inputError, isCommentStart, isNameByte, littleEndian } from './cursor.js';
import { hexDigitValue } from './hex0.js';
import type { SourceLocation } from '../errors.js';

/** The load address strata's bootstrap ELF files use (the stage0 convention for amd64). */
export const DEFAULT_BASE = 0x00600000;

export interface Hex2Options {
  readonly file?: string;
  /** Address of the first output byte, for `$` and `&` (default DEFAULT_BASE). */
  readonly base?: number;
}

interface RefKind {
  readonly size: 1 | 2 | 4;
  readonly relative: boolean;
}

const REFS: ReadonlyMap<number, RefKind> = new Map([
  [0x21 /* ! */, { size: 1, relative: true }],
  [0x40 /* @ */, { size: 2, relative: true }],
  [0x25 /* % */, { size: 4, relative: true }],
  [0x24 /* $ */, { size: 2, relative: false }],
  [0x26 /* & */, { size: 4, relative: false }],
]);

interface Hole extends RefKind {
  readonly at: number;
  readonly label: string;
  readonly sigil: string;
  readonly location: SourceLocation;
}

export function assembleHex2(source: string | Uint8Array, options: Hex2Options = {}): Uint8Array {
  const cur = Cursor.of(source, options.file ?? '<hex2>');
  const base = options.base ?? DEFAULT_BASE;
  const out: number[] = [];
  const labels = new Map<string, number>();
  const holes: Hole[] = [];
  let high = -1;
  let highAt: SourceLocation | undefined;

  while (!cur.done) {
    const where = cur.here();
    const c = cur.next();
    const ref = REFS.get(c);
    if (isCommentStart(c)) {
      cur.skipComment();
    } else if (c === 0x3a /* : */ || ref) {
      const sigil = String.fromCharCode(c);
      if (high >= 0 && highAt) {
        throw inputError('hex2-odd-digit', `hex digit without a partner before '${sigil}'`, highAt, 'hex digits come in pairs');
      }
      const name = cur.takeWhile(isNameByte);
      if (name === '') throw inputError('hex2-bad-label', `'${sigil}' must be followed by a label name`, where, `write e.g. ${sigil}loop`);
      if (!ref) {
        if (labels.has(name)) throw inputError('hex2-duplicate-label', `label '${name}' is defined twice`, where, 'rename one of them');
        labels.set(name, out.length);
      } else {
        holes.push({ ...ref, at: out.length, label: name, sigil, location: where });
        for (let i = 0; i < ref.size; i++) out.push(0);
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
  if (high >= 0 && highAt) throw inputError('hex2-odd-digit', 'hex digit without a partner at the end of the file', highAt, 'hex digits come in pairs');

  for (const h of holes) {
    const target = labels.get(h.label);
    if (target === undefined) throw inputError('hex2-undefined-label', `label '${h.label}' is never defined`, h.location, `define it with :${h.label}`);
    const value = h.relative ? target - (h.at + h.size) : base + target;
    const bits = h.size * 8;
    const [min, max] = h.relative ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
    if (value < min || value > max) {
      throw inputError('hex2-out-of-range', `${h.sigil}${h.label} = ${value} does not fit in ${h.size} byte(s)`, h.location,
        h.relative ? 'use a wider reference (! → @ → %)' : 'use & for a 32-bit address or a lower base');
    }
    out.splice(h.at, h.size, ...littleEndian(value, h.size));
  }
  return Uint8Array.from(out);
}
