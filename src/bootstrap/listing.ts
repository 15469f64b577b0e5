/**
 * The annotated-listing convention of the bootstrap sources (docs/bootstrap.md), and
 * the pure helpers the tests use to cross-check it against the host assembler.
 *
 * A *listing line* is a line whose comment reads
 *
 *     <code>   # OFF VADDR  <GNU as statement, Intel syntax>  ; remark
 *
 * OFF is the hexadecimal file offset of the line's first byte, VADDR its virtual address
 * (both upper-case hex), the statement is what the code bytes mean (an instruction,
 * a data directive such as `.quad`, or a label `name:`), the remark is free text. A
 * remark of the form `0xFROM + 0xDELTA = 0xTO` (or `-`) documents how a hand-computed
 * relative jump was worked out. Every other comment line is prose. A line with code
 * bytes that is not a listing line is an error: every byte must be annotated.
 */

export type ListingLanguage = 'hex0' | 'hex1' | 'hex2';

export interface ListingLine {
  /** 1-based line number in the source. */
  readonly line: number;
  /** The text before the comment. */
  readonly code: string;
  readonly offset: number;
  readonly vaddr: number;
  /** The GNU as statement. */
  readonly asm: string;
  readonly remark: string;
  /** Bytes the code part produces in the given language. */
  readonly size: number;
}

export interface ParsedListing {
  readonly lines: readonly ListingLine[];
  /** Lines with code bytes but no annotation (must be empty). */
  readonly unannotated: readonly { line: number; code: string }[];
}

const ANNOTATION = /^#\s+([0-9A-F]{3,})\s+([0-9A-F]{6,})\s+(.*)$/;

export function parseListing(text: string, language: ListingLanguage): ParsedListing {
  const lines: ListingLine[] = [];
  const unannotated: { line: number; code: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const cut = raw.search(/[#;]/);
    const code = (cut < 0 ? raw : raw.slice(0, cut)).trim();
    const comment = cut < 0 ? '' : raw.slice(cut).trim();
    const size = codeSize(code, language);
    const m = ANNOTATION.exec(comment);
    if (!m) {
      if (code !== '') unannotated.push({ line: i + 1, code });
      return;
    }
    const rest = m[3] as string;
    const semi = rest.indexOf(';');
    lines.push({
      line: i + 1,
      code,
      offset: parseInt(m[1] as string, 16),
      vaddr: parseInt(m[2] as string, 16),
      asm: (semi < 0 ? rest : rest.slice(0, semi)).trim(),
      remark: semi < 0 ? '' : rest.slice(semi + 1).trim(),
      size,
    });
  });
  return { lines, unannotated };
}

/** How many bytes a code fragment produces in a language (labels: 0, references: their width). */
export function codeSize(code: string, language: ListingLanguage): number {
  let digits = 0;
  let bytes = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i] as string;
    if (language === 'hex1' && (c === ':' || c === '%')) {
      i++; // the one-character label
      if (c === '%') bytes += 4;
    } else if (language === 'hex2' && ':!@%$&'.includes(c)) {
      while (i + 1 < code.length && !/\s/.test(code[i + 1] as string)) i++;
      bytes += { ':': 0, '!': 1, '@': 2, '%': 4, $: 2, '&': 4 }[c] ?? 0;
    } else if (/[0-9A-Fa-f]/.test(c)) {
      digits++;
    }
  }
  return bytes + Math.floor(digits / 2);
}

/** A GNU as source for the listing: `L<n>:` before each statement, `Lend:` at the end. */
export function gasSource(listing: ParsedListing): string {
  const body = listing.lines.map((l, i) => `L${i}:\n${l.asm}\n`).join('');
  return `.intel_syntax noprefix\n.code64\n.text\n${body}Lend:\n`;
}

export interface JumpRemark {
  readonly from: number;
  readonly delta: number;
  readonly to: number;
}

/** `0x6000A8 + 0x35 = 0x6000DD` → {from, delta, to}; undefined when the remark is not one. */
export function parseJumpRemark(remark: string): JumpRemark | undefined {
  const m = /0x([0-9A-F]+)\s*([+-])\s*0x([0-9A-F]+)\s*=\s*0x([0-9A-F]+)/.exec(remark);
  if (!m) return undefined;
  const d = parseInt(m[3] as string, 16);
  return { from: parseInt(m[1] as string, 16), delta: m[2] === '-' ? -d : d, to: parseInt(m[4] as string, 16) };
}

/**
 * An M0 DEFINE file whose lines read `DEFINE name HEX  # statement` (amd64.M0): the
 * statement, with its operand written as IMM8, IMM32 or REL32, must assemble to HEX
 * followed by the operand's bytes.
 */
export interface DefineLine {
  readonly line: number;
  readonly name: string;
  readonly bytes: readonly number[];
  readonly statement: string;
  /** Bytes the statement's operand adds after `bytes` (0, 1 or 4). */
  readonly operandSize: number;
}

export interface ParsedDefines {
  readonly defines: readonly DefineLine[];
  /** DEFINE lines that are not of that form (must be empty). */
  readonly malformed: readonly { line: number; text: string }[];
}

const DEFINE_LINE = /^DEFINE\s+(\S+)\s+([0-9A-F]+)\s+#\s+(.+?)\s*$/;

export function parseDefines(text: string): ParsedDefines {
  const defines: DefineLine[] = [];
  const malformed: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!/^\s*DEFINE\b/.test(raw)) return;
    const m = DEFINE_LINE.exec(raw.trim());
    const hex = m?.[2] ?? '';
    if (!m || hex.length % 2 !== 0) {
      malformed.push({ line: i + 1, text: raw });
      return;
    }
    const statement = m[3] as string;
    const bytes = (hex.match(/../g) ?? []).map((b) => parseInt(b, 16));
    const operandSize = /\b(IMM32|REL32)\b/.test(statement) ? 4 : /\bIMM8\b/.test(statement) ? 1 : 0;
    defines.push({ line: i + 1, name: m[1] as string, bytes, statement, operandSize });
  });
  return { defines, malformed };
}

/** Operand values the DEFINE check substitutes; REL32 jumps to a label 0x200 bytes past the end. */
export const DEFINE_OPERANDS = { IMM8: 0x11, IMM32: 0x11223344 } as const;

/** A GNU as source with `D<n>:` before each DEFINE's statement, operands substituted. */
export function definesGasSource(parsed: ParsedDefines): string {
  const body = parsed.defines
    .map((d, i) => {
      const statement = d.statement
        .replace(/\bIMM32\b/, `0x${DEFINE_OPERANDS.IMM32.toString(16)}`)
        .replace(/\bIMM8\b/, `0x${DEFINE_OPERANDS.IMM8.toString(16)}`)
        .replace(/\bREL32\b/, 'Lfar');
      return `D${i}:\n${statement}\n`;
    })
    .join('');
  return `.intel_syntax noprefix\n.code64\n.text\n${body}Dend:\n.skip 0x200\nLfar:\n`;
}
