/**
 * The rebuild of `strata verify`, run as its own process so that the variation plan can
 * change what only a new process can have: its environment (TZ, LANG, LC_ALL), umask,
 * CPU affinity (taskset) and clock (faketime). Reads a RebuildRequest from the JSON file
 * named by argv[2], builds into the fresh store with no cache, writes a RebuildResult to
 * `resultFile`, and reports progress on stderr, one line per event.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StrataError } from '../errors.js';
import type { SourceLocation } from '../errors.js';

export interface RebuildRequest {
  readonly tree: string;
  readonly store: string;
  readonly images: readonly string[];
  readonly all: boolean;
  readonly jobs: number;
  readonly umask: number;
  readonly sourceCache: string;
  readonly readdirReverse: boolean;
  readonly allowNetwork: boolean;
  /** Absent: gzip. */
  readonly layerCompression?: 'gzip' | 'zstd';
  readonly resultFile: string;
}

export type RebuildResult =
  | { readonly ok: true; readonly images: readonly { readonly image: string; readonly digest: string }[] }
  | {
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string; readonly hint?: string; readonly location?: SourceLocation; readonly kind: string };
    };

/** Turn a child's error record back into the StrataError it was. */
export function errorFromResult(e: Extract<RebuildResult, { ok: false }>['error']): StrataError {
  const kind = e.kind === 'input' || e.kind === 'check' || e.kind === 'build' || e.kind === 'io' ? e.kind : 'build';
  return new StrataError(e.code, e.message, {
    ...(e.location ? { location: e.location } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    kind,
  });
}

async function main(requestFile: string): Promise<void> {
  const req = JSON.parse(await readFile(requestFile, 'utf8')) as RebuildRequest;
  process.umask(req.umask);
  const { buildTree } = await import('../build/build.js');
  let result: RebuildResult;
  try {
    const options = {
      tree: req.tree,
      store: req.store,
      images: req.images,
      all: req.all,
      jobs: req.jobs,
      noCache: true,
      allowNetwork: req.allowNetwork,
      ...(req.layerCompression === 'zstd' ? { layerCompression: 'zstd' as const } : {}),
      sourceCache: req.sourceCache,
      env: process.env,
      // Honoured once the build core offers the hook (requested in /tmp/requests/build.md).
      readdirOrder: req.readdirReverse ? 'reverse' : 'native',
      onEvent: (e: { type: string; image: string; text?: string }) => {
        if (e.type === 'start') process.stderr.write(`rebuild: ${e.image}: started\n`);
        else if (e.type === 'done') process.stderr.write(`rebuild: ${e.image}: built\n`);
        else if (e.type === 'failed') process.stderr.write(`rebuild: ${e.image}: failed\n`);
      },
    };
    const report = await buildTree(options);
    result = { ok: true, images: report.results.map((r) => ({ image: r.image, digest: r.digest })) };
  } catch (e) {
    if (!(e instanceof StrataError)) {
      // An internal error of the build: carry it back whole rather than die without a result.
      const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
      process.stderr.write(`rebuild: internal error: ${text}\n`);
      writeFileSync(req.resultFile, JSON.stringify({ ok: false, error: { code: 'verify/rebuild-internal-error', message: `internal error in the rebuild: ${text.split('\n')[0]}`, hint: 'this is a bug in strata; the full stack is printed above', kind: 'build' } } satisfies RebuildResult));
      return;
    }
    const errors = 'errors' in e && Array.isArray((e as { errors: unknown }).errors) ? ((e as unknown as { errors: StrataError[] }).errors) : [e];
    const first = errors[0] ?? e;
    const message = errors.length > 1 ? `${first.message} (and ${errors.length - 1} more errors)` : first.message;
    result = {
      ok: false,
      error: { code: first.code, message, ...(first.hint ? { hint: first.hint } : {}), ...(first.location ? { location: first.location } : {}), kind: first.kind },
    };
  }
  writeFileSync(req.resultFile, JSON.stringify(result));
}

const requestFile = process.argv[2];
if (requestFile !== undefined && process.argv[1]?.endsWith('rebuild-child.js')) {
  await main(requestFile);
}
