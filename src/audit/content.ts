/**
 * The content rule of the audit (ADR 0111), pure: which bytes count as an executable, and
 * which as text. The edge (scan.ts) feeds it the first bytes of a file and then the whole
 * stream; nothing here reads files.
 */

/** Bytes needed by `executableFormat`. */
export const MAGIC_BYTES = 8;

const MAGICS: readonly { readonly format: string; readonly bytes: readonly number[]; readonly strong: boolean }[] = [
  { format: 'ELF', bytes: [0x7f, 0x45, 0x4c, 0x46], strong: true },
  { format: 'ar archive (static library or package)', bytes: [0x21, 0x3c, 0x61, 0x72, 0x63, 0x68, 0x3e, 0x0a], strong: true },
  { format: 'Mach-O', bytes: [0xcf, 0xfa, 0xed, 0xfe], strong: false },
  { format: 'Mach-O', bytes: [0xce, 0xfa, 0xed, 0xfe], strong: false },
  { format: 'Mach-O universal', bytes: [0xca, 0xfe, 0xba, 0xbe], strong: false },
  { format: 'WebAssembly', bytes: [0x00, 0x61, 0x73, 0x6d], strong: false },
  { format: 'PE/DOS executable', bytes: [0x4d, 0x5a], strong: false },
];

/**
 * The executable/object format the bytes start with, or undefined.
 *
 * `strongOnly` restricts to ELF and ar, the formats a Linux build can run or link: used for
 * the members of source archives, where two-byte magics such as `MZ` would also match
 * ordinary data files. (Files taken from the context are judged by the text rule anyway:
 * any non-text content counts there.)
 */
export function executableFormat(head: Uint8Array, strongOnly = false): string | undefined {
  for (const m of MAGICS) {
    if (strongOnly && !m.strong) continue;
    if (head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b)) return m.format;
  }
  return undefined;
}

/**
 * Bytes that do not occur in text of any 8-bit-clean encoding (UTF-8, Latin-1, …): the C0
 * control characters other than BS, TAB, LF, VT, FF, CR and ESC (ADR 0111). Executables,
 * object files and compressed data are full of them; patches and sources never need them.
 */
const NOT_TEXT = new Uint8Array(256);
for (let b = 0x00; b <= 0x1f; b++) NOT_TEXT[b] = 1;
for (const b of [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]) NOT_TEXT[b] = 0;

/**
 * Incremental text check: no NUL and no other control byte that text does not use.
 * Feed chunks, then `finish()`. A file is text exactly when `finish()` returns true.
 */
export class TextCheck {
  private ok = true;

  push(chunk: Uint8Array): void {
    if (!this.ok) return;
    for (let i = 0; i < chunk.length; i++) {
      if (NOT_TEXT[chunk[i]!] === 1) {
        this.ok = false;
        return;
      }
    }
  }

  /** Whether everything pushed was text. */
  finish(): boolean {
    return this.ok;
  }

  /** False as soon as a chunk was not text (lets a caller stop reading). */
  get stillText(): boolean {
    return this.ok;
  }
}

/** Whole-buffer form of TextCheck. */
export function isText(bytes: Uint8Array): boolean {
  const t = new TextCheck();
  t.push(bytes);
  return t.finish();
}
