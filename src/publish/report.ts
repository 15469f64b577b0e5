/** Tables and JSON for publish/push/pull results. Pure. */
import type { PublishReport } from './publish.js';
import type { PullResult } from './pull.js';

export function publishReportJson(r: PublishReport): Record<string, unknown> {
  const sum = (f: (i: PublishReport['images'][number]) => number): number => r.images.reduce((n, i) => n + f(i), 0);
  return {
    ok: true,
    registry: r.registry,
    namespace: r.namespace,
    quorumChecked: r.quorumChecked,
    ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
    images: r.images.map((i) => ({
      image: i.image,
      digest: i.digest,
      version: i.version,
      repository: i.repository,
      tags: i.tags,
      tagsPut: i.tagsPut,
      uploaded: i.uploaded,
      mounted: i.mounted,
      skipped: i.skipped,
      bytesUploaded: i.bytesUploaded,
      signaturesWritten: i.signaturesWritten,
      signaturesPresent: i.signaturesPresent,
      ...(r.quorumChecked ? { signers: r.quorum.find((q) => q.image === i.image)?.accepted.map((a) => a.name) ?? [] } : {}),
    })),
    totals: {
      images: r.images.length,
      uploaded: sum((i) => i.uploaded.length),
      mounted: sum((i) => i.mounted.length),
      skipped: sum((i) => i.skipped.length),
      bytesUploaded: sum((i) => i.bytesUploaded),
      tagsPut: sum((i) => i.tagsPut.length),
      signaturesWritten: sum((i) => i.signaturesWritten),
    },
  };
}

export function formatPublishReport(r: PublishReport): string {
  const head = ['IMAGE', 'DIGEST', 'UPLOADED', 'MOUNTED', 'SKIPPED', 'TAGS'];
  const rows = r.images.map((i) => [
    i.image,
    `${i.digest.slice(0, 19)}…`,
    String(i.uploaded.length),
    String(i.mounted.length),
    String(i.skipped.length),
    i.tags.map((t) => (i.tagsPut.includes(t) ? t : `${t}=`)).join(','),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((x, c) => (c === cells.length - 1 ? x : x.padEnd(widths[c]!))).join('  ');
  const j = publishReportJson(r)['totals'] as Record<string, number>;
  const out = [line(head), ...rows.map(line), ''];
  out.push(
    `${r.images.length} image(s) ${r.quorumChecked ? `with a quorum of ${r.threshold} ` : 'without a quorum check '}pushed to ${r.registry}/${r.namespace}: ` +
      `${j['uploaded']} blob(s) uploaded (${j['bytesUploaded']} bytes), ${j['mounted']} mounted, ${j['skipped']} already there; ${j['tagsPut']} tag(s) moved` +
      (j['signaturesWritten'] ? `; ${j['signaturesWritten']} signature(s) written to the lookaside` : ''),
  );
  if (r.images.some((i) => i.tags.some((t) => !i.tagsPut.includes(t)))) out.push("(a tag marked '=' already named the digest)");
  return `${out.join('\n')}\n`;
}

export function pullResultJson(r: PullResult): Record<string, unknown> {
  return {
    ok: true,
    reference: r.reference,
    registry: r.registry,
    repository: r.repository,
    ref: r.ref,
    digest: r.digest,
    ...(r.resolvedTag !== undefined ? { resolvedTag: r.resolvedTag } : {}),
    fetched: r.fetched,
    present: r.present,
    bytesFetched: r.bytesFetched,
    threshold: r.quorum.threshold,
    signers: r.quorum.accepted.map((a) => ({ name: a.name, fingerprint: a.primaryFingerprint.toUpperCase() })),
  };
}

export function formatPullResult(r: PullResult): string {
  return (
    `${r.ref} ${r.digest}\n` +
    `  signed by ${r.quorum.accepted.length} of ${r.quorum.threshold} required maintainer(s): ${r.quorum.accepted.map((a) => a.name).join(', ')}\n` +
    `  ${r.fetched.length} blob(s) fetched (${r.bytesFetched} bytes), ${r.present.length} already in the store\n`
  );
}
