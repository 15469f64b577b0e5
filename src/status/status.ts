/**
 * `strata status` core: one row per image of the tree joining what the other commands
 * know — the recorded digest (digests/*.txt), whether the store holds exactly that image and
 * its size, the audit verdict (bootstrapped?), and, given signatures, the quorum.
 *
 * The joining and the verdict are pure (`statusRows`); `treeStatus` gathers the facts.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { auditTree } from '../audit/audit.js';
import { formatReason } from '../audit/render.js';
import type { Verdict } from '../audit/types.js';
import type { Digest } from '../digest/digest.js';
import { OciStore } from '../store/store.js';
import { checkTree } from '../trust/check.js';
import type { DigestEntry } from '../trust/digests-file.js';
import type { LookasideBase } from '../trust/lookaside.js';
import type { QuorumResult } from '../trust/quorum.js';
import { readAllDigests } from '../trust/tree-trust.js';

export interface StoreFact {
  /** The manifest digest the store's ref points at. */
  readonly digest: string;
  /** Bytes of manifest + config + layers (compressed), as stored. */
  readonly size: number;
}

export interface StatusRow {
  readonly image: string;
  /** From digests/*.txt. */
  readonly digest: string;
  /** 'ok' when the store holds this digest under the image's name. */
  readonly store: 'ok' | 'missing' | 'different';
  readonly size: number | undefined;
  readonly bootstrapped: boolean;
  readonly auditReasons: readonly string[];
  /** Undefined when no signatures were given. */
  readonly quorum: { readonly ok: boolean; readonly threshold: number; readonly signers: readonly string[] } | undefined;
  /** Every check that was asked for passed. */
  readonly ok: boolean;
}

/** Pure: join the facts into rows, sorted by image name. */
export function statusRows(
  digests: readonly DigestEntry[],
  store: ReadonlyMap<string, StoreFact>,
  verdicts: ReadonlyMap<string, Verdict>,
  quorum: ReadonlyMap<string, QuorumResult> | undefined,
): StatusRow[] {
  return [...digests]
    .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0))
    .map((d) => {
      const s = store.get(d.image);
      const storeState = s === undefined ? 'missing' : s.digest === d.digest ? 'ok' : 'different';
      const v = verdicts.get(d.image);
      const q = quorum?.get(d.image);
      const quorumRow =
        quorum === undefined
          ? undefined
          : {
              ok: q?.ok ?? false,
              threshold: q?.threshold ?? 0,
              signers: [...new Set(q?.accepted.map((a) => a.name) ?? [])].sort(),
            };
      const bootstrapped = v?.bootstrapped ?? false;
      return {
        image: d.image,
        digest: d.digest,
        store: storeState,
        size: storeState === 'ok' ? s?.size : undefined,
        bootstrapped,
        auditReasons: v ? v.reasons.map(formatReason) : ['not audited: the image is not in the tree'],
        quorum: quorumRow,
        ok: storeState === 'ok' && bootstrapped && (quorumRow?.ok ?? true),
      };
    });
}

export interface StatusOptions {
  readonly tree: string;
  readonly store: string;
  readonly cacheDir: string;
  readonly signatures?: LookasideBase;
  readonly threshold?: number;
  /** With signatures: a MAINTAINERS file and a keyring file instead of the tree's. */
  readonly maintainersFile?: string;
  readonly keyringFile?: string;
  /** The store was named by the user: a directory without a layout is an error, not "nothing built". */
  readonly requireStore?: boolean;
  /** Warnings of the quorum check (keys missing, threshold out of reach). */
  readonly onWarning?: (message: string) => void;
}

export async function treeStatus(o: StatusOptions): Promise<StatusRow[]> {
  const digests = await readAllDigests(o.tree);
  const storeFacts = new Map<string, StoreFact>();
  if (o.requireStore || existsSync(path.join(o.store, 'index.json'))) {
    const store = await OciStore.open(o.store);
    for (const d of digests) {
      const desc = await store.resolveRef(d.image);
      if (!desc) continue;
      let size = desc.size;
      try {
        const m = await store.readManifest(desc.digest as Digest);
        size += m.config.size + m.layers.reduce((n, l) => n + l.size, 0);
      } catch {
        // an unreadable manifest shows as "different": fsck says why
        storeFacts.set(d.image, { digest: 'unreadable', size: 0 });
        continue;
      }
      storeFacts.set(d.image, { digest: desc.digest, size });
    }
  }
  const audit = await auditTree({ tree: o.tree, cacheDir: o.cacheDir, images: digests.map((d) => d.image) });
  let quorum: Map<string, QuorumResult> | undefined;
  if (o.signatures) {
    const report = await checkTree({
      tree: o.tree,
      images: 'all',
      signatures: o.signatures,
      ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
      ...(o.maintainersFile !== undefined ? { maintainersFile: o.maintainersFile } : {}),
      ...(o.keyringFile !== undefined ? { keyringFile: o.keyringFile } : {}),
    });
    for (const w of report.warnings) o.onWarning?.(w);
    quorum = new Map(report.results.map((r) => [r.image, r]));
  }
  return statusRows(digests, storeFacts, audit.all, quorum);
}

export function formatSize(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The table the main job ends with. */
export function statusTable(rows: readonly StatusRow[]): string {
  const header = ['IMAGE', 'DIGEST', 'SIZE', 'BOOTSTRAPPED', 'SIGNERS'];
  const body = rows.map((r) => [
    r.image,
    `${r.digest.slice(7, 19)}${r.store === 'ok' ? '' : r.store === 'missing' ? ' (not in store)' : ' (store differs)'}`,
    formatSize(r.size),
    r.bootstrapped ? 'yes' : 'no',
    r.quorum === undefined
      ? '-'
      : `${r.quorum.signers.length}/${r.quorum.threshold} ${r.quorum.ok ? 'ok' : 'FAIL'}${r.quorum.signers.length ? `: ${r.quorum.signers.join(', ')}` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const notes = rows.flatMap((r) => (r.bootstrapped ? [] : r.auditReasons.map((why) => `  ${r.image}: not bootstrapped: ${why}`)));
  return [line(header), ...body.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n') + '\n';
}

export function statusJson(rows: readonly StatusRow[]): unknown {
  return rows.map((r) => ({
    name: r.image,
    digest: r.digest,
    store: r.store,
    size: r.size ?? null,
    bootstrapped: r.bootstrapped,
    reasons: r.auditReasons,
    quorum: r.quorum ?? null,
    ok: r.ok,
  }));
}
