/**
 * Test support: assemble an annotated listing (listing.ts) with the host GNU assembler
 * and report every disagreement between the annotations, the assembler and the bytes a
 * reference assembler produced. Needs `as`, `objcopy` and `nm` from binutils.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFINE_OPERANDS, definesGasSource, gasSource, parseJumpRemark, type ParsedDefines, type ParsedListing } from './listing.js';

export interface GasResult {
  readonly bytes: Uint8Array;
  /** Address (section offset) of every label, including L<n> and Lend. */
  readonly symbols: ReadonlyMap<string, number>;
}

export function assembleWithGas(listing: ParsedListing): GasResult {
  return assembleGasSource(gasSource(listing));
}

function assembleGasSource(source: string): GasResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-gas-'));
  try {
    const s = path.join(dir, 'listing.s');
    const o = path.join(dir, 'listing.o');
    const bin = path.join(dir, 'listing.bin');
    writeFileSync(s, source);
    execFileSync('as', ['--64', '-o', o, s], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, bin]);
    const symbols = new Map<string, number>();
    for (const line of execFileSync('nm', [o], { encoding: 'utf8' }).split('\n')) {
      const m = /^([0-9a-f]+) \w (\S+)$/.exec(line);
      if (m) symbols.set(m[2] as string, parseInt(m[1] as string, 16));
    }
    return { bytes: new Uint8Array(readFileSync(bin)), symbols };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every problem found, as `line N: …` strings (empty when the listing is right):
 * unannotated code, an offset/address column that is not where the assembler put the
 * statement, a line whose byte count differs from its statement's, a jump remark whose
 * arithmetic or target is wrong, and any byte where the whole listing differs from
 * `expected` (the bytes the reference assembler made from the same source).
 */
export function listingProblems(listing: ParsedListing, expected: Uint8Array, base: number): string[] {
  const problems: string[] = listing.unannotated.map((u) => `line ${u.line}: code '${u.code}' has no annotation`);
  const gas = assembleWithGas(listing);
  const addr = (i: number): number => gas.symbols.get(i === listing.lines.length ? 'Lend' : `L${i}`) ?? NaN;
  listing.lines.forEach((l, i) => {
    const at = addr(i);
    const size = addr(i + 1) - at;
    if (l.offset !== at) problems.push(`line ${l.line}: offset column ${hex(l.offset)} but the assembler put it at ${hex(at)}`);
    if (l.vaddr !== base + l.offset) problems.push(`line ${l.line}: address column ${hex(l.vaddr)} is not base + offset`);
    if (size !== l.size) problems.push(`line ${l.line}: '${l.code}' is ${l.size} bytes but '${l.asm}' assembles to ${size}`);
    const jump = parseJumpRemark(l.remark);
    if (jump) {
      const target = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(l.asm)?.[1];
      const targetAddr = target === undefined ? undefined : gas.symbols.get(target);
      if (jump.from !== l.vaddr + size) problems.push(`line ${l.line}: jump remark starts at ${hex(jump.from)}, not the next instruction ${hex(l.vaddr + size)}`);
      if (jump.from + jump.delta !== jump.to) problems.push(`line ${l.line}: jump remark arithmetic is wrong`);
      if (targetAddr === undefined || base + targetAddr !== jump.to) problems.push(`line ${l.line}: jump remark target ${hex(jump.to)} is not ${target}`);
    }
  });
  if (gas.bytes.length !== expected.length) problems.push(`the assembler made ${gas.bytes.length} bytes, the reference ${expected.length}`);
  const n = Math.min(gas.bytes.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (gas.bytes[i] !== expected[i]) {
      const line = listing.lines.find((l, k) => addr(k) <= i && i < addr(k + 1));
      problems.push(`byte ${hex(i)} (line ${line?.line}): assembler ${hex(gas.bytes[i] ?? 0)}, reference ${hex(expected[i] ?? 0)}`);
      if (problems.length > 20) break;
    }
  }
  return problems;
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase()}`;
}

/**
 * Every problem in an M0 DEFINE file (listing.ts parseDefines), as `line N: …` strings:
 * malformed DEFINE lines, duplicate names, and statements that do not assemble to the
 * DEFINE's bytes followed by exactly their operand (IMM8/IMM32 as the substituted
 * values, REL32 as any four bytes).
 */
export function defineProblems(parsed: ParsedDefines): string[] {
  const problems = parsed.malformed.map((m) => `line ${m.line}: not 'DEFINE name HEX  # statement': ${m.text}`);
  const seen = new Set<string>();
  for (const d of parsed.defines) {
    if (seen.has(d.name)) problems.push(`line ${d.line}: '${d.name}' is defined twice`);
    seen.add(d.name);
  }
  const gas = assembleGasSource(definesGasSource(parsed));
  parsed.defines.forEach((d, i) => {
    const at = gas.symbols.get(`D${i}`) ?? NaN;
    const next = gas.symbols.get(i === parsed.defines.length - 1 ? 'Dend' : `D${i + 1}`) ?? NaN;
    const got = [...gas.bytes.subarray(at, next)];
    const operand = /\bIMM32\b/.test(d.statement)
      ? [0, 8, 16, 24].map((shift) => (DEFINE_OPERANDS.IMM32 >>> shift) & 0xff)
      : /\bIMM8\b/.test(d.statement)
        ? [DEFINE_OPERANDS.IMM8]
        : undefined;
    const head = got.slice(0, got.length - d.operandSize);
    const tail = got.slice(got.length - d.operandSize);
    const hexs = (b: readonly number[]): string => b.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
    if (got.length !== d.bytes.length + d.operandSize || hexs(head) !== hexs(d.bytes) || (operand && hexs(tail) !== hexs(operand))) {
      problems.push(`line ${d.line}: '${d.statement}' assembles to ${hexs(got)}, not ${hexs(d.bytes)} + ${d.operandSize} operand byte(s)`);
    }
  });
  return problems;
}
