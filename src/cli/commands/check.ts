/**
 * `strata check`: M-of-N quorum over the lookaside signatures of the tree's digests.
 * Thin wrapper over checkTree (src/trust/check.ts).
 */
import path from 'node:path';
import { boolOpt, intOpt, JSON_OPTION, parseCommand, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { TRUST_FILE_OPTIONS, trustFileOptions } from '../trust-options.js';
import { StrataError, EXIT_CHECK_FAILED, EXIT_OK } from '../../errors.js';
import { checkTree, type CheckReport } from '../../trust/check.js';
import { parseLookasideBase } from '../../trust/lookaside.js';

export const spec: CommandSpec = {
  name: 'check',
  summary: 'check that each image digest is signed by at least M distinct maintainers',
  usage: 'strata check [options] --signatures DIR|URL (IMAGE... | --all)',
  options: {
    tree: TREE_OPTION,
    signatures: { type: 'string', valueName: 'DIR|URL', description: 'lookaside signatures: a directory, file:// or http(s):// URL' },
    all: { type: 'boolean', description: 'check every image listed in digests/*.txt' },
    threshold: { type: 'string', valueName: 'M', description: 'distinct maintainers needed (default: strata.toml threshold, else 2)' },
    ...TRUST_FILE_OPTIONS,
    threads: { type: 'string', valueName: 'N', description: 'verify on N worker threads (default 1: in-process)' },
    legacy: { type: 'boolean', description: 'also accept the legacy StageX payload (marked legacy in the output)' },
    json: JSON_OPTION,
  },
  details: `
Reads signature-1, -2, … under <base>/<namespace>/<image>@sha256=<hex>/ until the first
gap, verifies each OpenPGP signed message against the maintainers' keys (MAINTAINERS and
keys/*.asc), then parses the payload strictly and counts distinct maintainers. Exit 0 if
every image reaches the threshold, 1 if any does not, 2 on bad input.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return EXIT_OK;
  checkTreeOption(p, io.cwd);
  const signatures = stringOpt(p, 'signatures');
  if (signatures === undefined) {
    throw new StrataError('cli/usage', 'check: --signatures DIR|URL is required', { hint: 'give the lookaside signatures: a directory, file:// or http(s):// URL, e.g. --signatures ./signatures' });
  }
  imagesOrAll(p, 'check');
  const all = boolOpt(p, 'all');
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const threshold = intOpt(p, 'threshold', 'check');
  const threads = intOpt(p, 'threads', 'check');
  const trustFiles = trustFileOptions(p, io);
  const report = await checkTree({
    tree,
    images: all ? 'all' : p.positionals,
    signatures: parseLookasideBase(signatures, io.cwd),
    legacy: boolOpt(p, 'legacy'),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...trustFiles,
  });
  for (const w of report.warnings) io.err(`warning: ${w}\n`);
  if (boolOpt(p, 'json')) io.json(reportJson(report));
  else io.out(formatReport(report));
  return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

export function reportJson(r: CheckReport): Record<string, unknown> {
  return {
    ok: r.ok,
    threshold: r.threshold,
    namespace: r.namespace,
    images: r.results.map((x) => ({
      image: x.image,
      digest: x.digest,
      ok: x.ok,
      signers: x.accepted.length,
      accepted: x.accepted.map((a) => ({
        name: a.name,
        handle: a.handle,
        key: a.keyLabel,
        fingerprint: a.primaryFingerprint.toUpperCase(),
        signingKey: a.signingKeyFingerprint.toUpperCase(),
        legacy: a.legacy,
        source: a.source,
      })),
      rejected: x.rejected.map((j) => ({
        source: j.source,
        code: j.code,
        message: j.message,
        ...(j.primaryFingerprint ? { fingerprint: j.primaryFingerprint.toUpperCase() } : {}),
      })),
    })),
    warnings: r.warnings,
  };
}

/** The table: one row per image, rejected signatures indented under it. */
export function formatReport(r: CheckReport): string {
  const rows = r.results.map((x) => [
    x.image,
    `${x.digest.slice(0, 19)}…`,
    `${x.accepted.length}/${x.threshold}`,
    x.accepted.map((a) => `${a.name}${a.legacy ? ' (legacy)' : ''}`).join(', ') || '-',
    x.ok ? 'ok' : 'FAIL',
  ]);
  const head = ['IMAGE', 'DIGEST', 'SIGNED', 'SIGNERS', 'STATUS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head)];
  r.results.forEach((x, i) => {
    out.push(line(rows[i]!));
    for (const j of x.rejected) out.push(`    rejected ${path.basename(j.source)}: ${j.code}: ${j.message}`);
    if (x.accepted.length === 0 && x.rejected.length === 0) out.push('    no signatures found for this digest');
  });
  const failed = r.results.filter((x) => !x.ok).length;
  const n = r.results.length;
  const images = `${n} image${n === 1 ? '' : 's'}`;
  const signatures = `${r.threshold} distinct maintainer signature${r.threshold === 1 ? '' : 's'}`;
  out.push(
    '',
    failed === 0
      ? `${images} checked: ${n === 1 ? 'it reaches' : 'all reach'} ${signatures}`
      : `${failed} of ${images} below the threshold of ${signatures}`,
  );
  return `${out.join('\n')}\n`;
}
