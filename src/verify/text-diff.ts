/**
 * A short unified diff of two small text files, for explaining a content mismatch.
 * Myers' O(ND) shortest edit script over lines (common prefix and suffix trimmed first),
 * given up beyond a bounded number of edits; hunks with 3 lines of context; the output is
 * capped in lines and in line length. Pure.
 */
import type { TextDiff } from './types.js';

/** Files larger than this are not diffed as text. */
export const MAX_TEXT_BYTES = 64 * 1024;
export const DEFAULT_MAX_LINES = 40;
const CONTEXT = 3;
const MAX_LINE_CHARS = 200;
/** Beyond this many inserted+deleted lines the diff is not worth computing or reading. */
const MAX_EDITS = 2000;
const NO_EOL = '\u0000no-eol';

/** True for data that reads as UTF-8 text: valid UTF-8, no NUL byte, not too large. */
export function looksLikeText(data: Uint8Array): boolean {
  if (data.length > MAX_TEXT_BYTES || data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

type Op = { readonly op: ' ' | '-' | '+'; readonly line: string };

/** Shortest edit script from a to b, or undefined when it needs more than maxEdits edits. */
export function editScript(a: readonly string[], b: readonly string[], maxEdits = MAX_EDITS): Op[] | undefined {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const middle = myers(am, bm, maxEdits);
  if (!middle) return undefined;
  return [
    ...a.slice(0, pre).map((line) => ({ op: ' ' as const, line })),
    ...middle,
    ...a.slice(a.length - suf).map((line) => ({ op: ' ' as const, line })),
  ];
}

function myers(a: readonly string[], b: readonly string[], maxEdits: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  /** trace[d] = v[-d-1 .. d+1] as it was before round d. */
  const trace: Int32Array[] = [];
  const limit = Math.min(max, maxEdits);
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: readonly Int32Array[], dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d >= 0; d--) {
    const t = trace[d]!;
    const at = (k: number): number => t[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: ' ', line: a[x - 1]! });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ op: '+', line: b[y - 1]! });
      else ops.push({ op: '-', line: a[x - 1]! });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

function show(op: Op): string[] {
  const noEol = op.line.endsWith(NO_EOL);
  let text = noEol ? op.line.slice(0, -NO_EOL.length) : op.line;
  if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)}… (${text.length} chars)`;
  return noEol ? [`${op.op}${text}`, '\\ No newline at end of file'] : [`${op.op}${text}`];
}

/**
 * Unified diff lines of two texts (`@@ -l,s +l,s @@` hunks), capped at `maxLines`.
 * Identical texts give no lines.
 */
export function unifiedDiff(aText: string, bText: string, maxLines = DEFAULT_MAX_LINES): TextDiff {
  const a = splitLines(aText);
  const b = splitLines(bText);
  const ops = editScript(a, b);
  if (!ops) return { lines: [`(more than ${MAX_EDITS} lines differ; no line diff shown)`], truncated: true };
  const lines: string[] = [];
  // Group changes into hunks: a change plus CONTEXT lines around it; close gaps ≤ 2*CONTEXT.
  const changed = ops.map((o) => o.op !== ' ');
  let i = 0;
  // Line numbers before position i.
  const aLineAt: number[] = [];
  const bLineAt: number[] = [];
  let al = 0;
  let bl = 0;
  for (const o of ops) {
    aLineAt.push(al);
    bLineAt.push(bl);
    if (o.op !== '+') al++;
    if (o.op !== '-') bl++;
  }
  aLineAt.push(al);
  bLineAt.push(bl);
  while (i < ops.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    for (;;) {
      while (end < ops.length && changed[end]) end++;
      let next = end;
      while (next < ops.length && !changed[next] && next - end < 2 * CONTEXT + 1) next++;
      if (next < ops.length && changed[next] && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    const aCount = aLineAt[stop]! - aLineAt[start]!;
    const bCount = bLineAt[stop]! - bLineAt[start]!;
    const aFrom = aCount === 0 ? aLineAt[start]! : aLineAt[start]! + 1;
    const bFrom = bCount === 0 ? bLineAt[start]! : bLineAt[start]! + 1;
    lines.push(`@@ -${aFrom},${aCount} +${bFrom},${bCount} @@`);
    for (let j = start; j < stop; j++) lines.push(...show(ops[j]!));
    i = stop;
  }
  if (lines.length > maxLines) return { lines: lines.slice(0, maxLines), truncated: true };
  return { lines, truncated: false };
}
