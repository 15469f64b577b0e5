/**
 * How audit verdicts are shown, pure: one line per reason (`file:line:col: message —
 * hint`), path steps as short strings, the table of `strata audit`, the JSON list, and the
 * chain `strata trace` prints.
 */
import { formatLocation } from '../errors.js';
import type { Reason, SeedRoot, TraceStep, Verdict } from './types.js';

export function shortHex(hex: string): string {
  return hex.slice(0, 12);
}

export function formatReason(r: Reason): string {
  const where = formatLocation(r.location);
  return `${where ? `${where}: ` : ''}${r.message}${r.hint ? ` — ${r.hint}` : ''}`;
}

export function formatRoot(r: SeedRoot): string {
  return r.kind === 'seed'
    ? `seed of ${r.packageId}: hex0 source ${r.sourceFile}, ${r.bytes} bytes decoded, sha256 ${r.sha256} ok`
    : `binary seed ${r.path}, ${r.bytes} bytes, sha256 ${r.sha256} ok`;
}

/** A short description of a root for the table. */
export function rootSummary(r: SeedRoot): string {
  return r.kind === 'seed' ? `seed ${r.packageId} (hex0 source, ${r.bytes} bytes decoded, hash ok)` : `binary seed ${r.path} (${r.bytes} bytes)`;
}

export function formatStep(s: TraceStep): string {
  switch (s.kind) {
    case 'image':
      return s.name;
    case 'dependency':
      return `${s.image} (${s.via} at ${formatLocation(s.location)})`;
    case 'root':
      return `${formatRoot(s.root)} (${s.via} at ${formatLocation(s.location)})`;
    case 'offending':
      return formatReason(s.reason);
    case 'text-only':
      return 'no seed: takes in only text from this tree and source archives without executables (ADR 0112)';
  }
}

export interface VerdictJson {
  readonly name: string;
  readonly bootstrapped: boolean;
  readonly reasons: string[];
  readonly path: string[];
  readonly seeds: string[];
}

export function verdictJson(v: Verdict): VerdictJson {
  return {
    name: v.name,
    bootstrapped: v.bootstrapped,
    reasons: v.reasons.map(formatReason),
    path: v.path.map(formatStep),
    seeds: v.roots.map(formatRoot),
  };
}

export function auditJson(verdicts: readonly Verdict[]): string {
  return `${JSON.stringify(verdicts.map(verdictJson), null, 2)}\n`;
}

/** The table: IMAGE, BOOTSTRAPPED, and what it descends from or the first reason; then every reason. */
export function auditTable(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map((v) => {
    let detail: string;
    if (v.bootstrapped) {
      detail = v.roots.length > 0 ? `from ${v.roots.map(rootSummary).join(', ')}` : 'no seed, text inputs only';
    } else {
      const first = v.reasons[0]!;
      detail = first.code === 'dependency' ? `depends on ${first.dependency}` : first.message;
      if (v.reasons.length > 1) detail += ` (+${v.reasons.length - 1} more)`;
    }
    return [v.name, v.bootstrapped ? 'yes' : 'no', detail] as const;
  });
  const w0 = Math.max(5, ...rows.map((r) => r[0].length));
  const lines = [`${'IMAGE'.padEnd(w0)}  BOOTSTRAPPED  DETAIL`];
  for (const [name, yes, detail] of rows) lines.push(`${name.padEnd(w0)}  ${yes.padEnd(12)}  ${detail}`);
  const no = verdicts.filter((v) => !v.bootstrapped);
  if (no.length > 0) {
    lines.push('', 'not bootstrapped, because:');
    for (const v of no) {
      lines.push(`${v.name}:`);
      for (const r of v.reasons) lines.push(`  ${formatReason(r)}`);
    }
  }
  lines.push('', `${verdicts.length} image${verdicts.length === 1 ? '' : 's'}: ${verdicts.length - no.length} bootstrapped, ${no.length} not`);
  return `${lines.join('\n')}\n`;
}

/** The chain from the image back to its seed, or to the offending input, one step a line. */
export function traceText(v: Verdict): string {
  const lines = [`${v.name}: ${v.bootstrapped ? 'bootstrapped' : 'not bootstrapped'}`];
  v.path.forEach((s, i) => {
    if (i === 0) lines.push(`  ${formatStep(s)}`);
    else lines.push(`  ${'  '.repeat(i - 1)}└─ ${formatStep(s)}`);
  });
  if (!v.bootstrapped && v.reasons.length > 1) {
    lines.push(`  (${v.reasons.length} reasons in all: run 'strata audit ${v.name}' for the list)`);
  }
  return `${lines.join('\n')}\n`;
}
