/**
 * `strata fetch`: make the tree's sources present in the content-addressed cache, verified
 * by sha256; or move a cache to an air-gapped machine (--export / --import).
 */
import path from 'node:path';
import { StrataError } from '../../errors.js';
import { boolOpt, checkPathOption, intOpt, JSON_OPTION, parseCommand, stringOpt, TREE_OPTION, type CommandSpec, checkTreeOption, allImagesOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { checkOutputPath } from '../out-path.js';
import { userPath } from '../user-path.js';
import { formatBytes, Progress } from '../progress.js';
import { defaultCacheDir, shortHash, SourceCache, type RecheckReport } from '../../source/cache.js';
import { describeFailure, fetchSources, type SourceResult } from '../../source/download.js';
import { checkMirrorPrefixes, mirrorsFromEnv } from '../../source/mirrors.js';
import { selectSources } from '../../source/select.js';
import { checkExportDir, exportSources, importSources, type ExportReport, type ImportReport } from '../../source/transfer.js';
import { loadTree } from '../../tree/load.js';

export const spec: CommandSpec = {
  name: 'fetch',
  summary: 'Download the sources of the tree (or of the named images) into the cache, verified by sha256.',
  usage: 'strata fetch [options] [IMAGE...|--all]',
  options: {
    tree: TREE_OPTION,
    all: allImagesOption('fetch the sources of'),
    cache: { type: 'string', valueName: 'DIR', description: 'the source cache (default: $STRATA_CACHE, else <tree>/.strata/sources)' },
    offline: { type: 'boolean', description: 'use only the cache; report what is missing' },
    recheck: { type: 'boolean', description: 're-hash every cached file first and remove corrupt ones' },
    jobs: { type: 'string', short: 'j', valueName: 'N', description: 'downloads at once (default 4)' },
    'idle-timeout': { type: 'string', valueName: 'SECONDS', description: 'give up on a mirror that sends nothing for this long (default 30)' },
    export: { type: 'string', valueName: 'DIR', description: 'after fetching, copy the selected sources and a manifest into DIR (new or empty)' },
    import: { type: 'string', valueName: 'DIR', description: 'verify and add the sources of an export directory to the cache' },
    json: JSON_OPTION,
  },
  details: `
Each source's mirrors are tried in order, then <prefix>/<file> for every prefix in
strata.toml 'mirrors' and in $STRATA_MIRRORS (space-separated). A file enters the cache only
if its sha256 matches. Sources that could not be had are listed with every URL tried and
why; the command then exits 1.`,
};

export interface FetchCommandOptions {
  /** The tree root, as the user should see it in messages. */
  readonly tree: string;
  readonly cacheDir: string;
  readonly images: readonly string[];
  readonly offline: boolean;
  readonly recheck: boolean;
  readonly jobs: number;
  readonly idleTimeoutMs: number;
  readonly exportDir?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface FetchCommandResult {
  readonly results: readonly SourceResult[];
  readonly recheck?: RecheckReport;
  readonly exported?: ExportReport;
  /** True when every selected source is in the cache (and the export, if asked, was written). */
  readonly ok: boolean;
}

/** The typed core of `strata fetch` (without --import). Progress and failure lines go to io.err. */
export async function fetchTreeSources(o: FetchCommandOptions, io: CliIO): Promise<FetchCommandResult> {
  const tree = loadTree(o.tree, { parse: false });
  const prefixes = [
    ...checkMirrorPrefixes(tree.config.mirrors, tree.config.file ?? 'strata.toml', tree.config.file ? { file: tree.config.file } : undefined),
    ...mirrorsFromEnv(o.env),
  ];
  const specs = selectSources(tree, o.images);
  if (o.exportDir !== undefined) await checkExportDir(o.exportDir);
  const cache = new SourceCache(o.cacheDir);

  let recheck: RecheckReport | undefined;
  if (o.recheck) {
    recheck = await cache.recheck();
    for (const c of recheck.corrupt) {
      io.err(`removed corrupt cached file sha256 ${shortHash(c.hash)} (its bytes hash to ${shortHash(c.got)})\n`);
    }
  }

  const total = new Set(specs.map((s) => s.hash)).size;
  const progress = new Progress({ write: io.err, interactive: io.interactive, total });
  const results = await fetchSources(specs, {
    cache,
    mirrorPrefixes: prefixes,
    jobs: o.jobs,
    offline: o.offline,
    idleTimeoutMs: o.idleTimeoutMs,
    onEvent: (e) => {
      if (e.type === 'start') progress.start(e.key, e.label);
      else if (e.type === 'bytes') progress.addBytes(e.bytes);
      else if (e.type === 'finish') {
        const r = e.results[0]!;
        const who = e.results.map((x) => x.spec.owner).join(', ');
        if (r.status === 'fetched') progress.finish(e.key, `fetched ${r.spec.file} (${formatBytes(r.bytes ?? 0)}) for ${who} from ${r.url}`);
        else if (r.status === 'failed') progress.finish(e.key, `could not fetch ${r.spec.file} for ${who} (reasons below)`);
        else progress.finish(e.key);
      }
    },
  });
  progress.close();

  const failures = results.filter((r) => r.status === 'failed' || r.status === 'missing');
  for (const r of failures) io.err(`${describeFailure(r)}\n`);

  let exported: ExportReport | undefined;
  if (o.exportDir !== undefined && failures.length === 0) {
    exported = await exportSources(cache, specs, o.exportDir);
  }
  return { results, ...(recheck ? { recheck } : {}), ...(exported ? { exported } : {}), ok: failures.length === 0 };
}

function resultJson(r: SourceResult): Record<string, unknown> {
  return {
    owner: r.spec.owner,
    id: r.spec.id,
    file: r.spec.file,
    hash: r.spec.hash,
    status: r.status,
    ...(r.url !== undefined ? { url: r.url } : {}),
    ...(r.bytes !== undefined ? { bytes: r.bytes } : {}),
    attempts: r.attempts.map((a) => ({ url: a.url, ...(a.reason !== undefined ? { reason: a.reason } : {}), ...(a.finalUrl ? { finalUrl: a.finalUrl } : {}) })),
    ...(r.spec.location ? { location: r.spec.location } : {}),
  };
}

function summary(results: readonly SourceResult[]): string {
  const count = (s: SourceResult['status']): number => results.filter((r) => r.status === s).length;
  const parts = [`${count('cached')} cached`, `${count('fetched')} fetched`];
  const failed = count('failed') + count('missing');
  if (failed > 0) parts.push(`${failed} missing`);
  return `${results.length} source${results.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

function printImport(rep: ImportReport, json: boolean, io: CliIO): void {
  for (const r of rep.rejected) io.err(`rejected ${r.path}: ${r.reason}\n`);
  if (json) {
    io.json({ imported: rep.imported, rejected: rep.rejected });
  } else {
    const fresh = rep.imported.filter((e) => !e.alreadyPresent).length;
    io.out(`imported ${rep.imported.length} source${rep.imported.length === 1 ? '' : 's'} (${fresh} new), rejected ${rep.rejected.length}\n`);
  }
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  imagesOrAll(p, 'fetch');
  const json = boolOpt(p, 'json');
  const tree = userPath(io.cwd, stringOpt(p, 'tree') ?? '.');
  const cacheFlag = stringOpt(p, 'cache');
  const cacheDir = userPath(io.cwd, defaultCacheDir(tree, cacheFlag, io.env));
  checkOutputPath(cacheFlag !== undefined ? '--cache' : io.env['STRATA_CACHE'] ? 'STRATA_CACHE' : 'the source cache', cacheDir, cacheDir, 'dir');
  const exportDir = stringOpt(p, 'export');
  const importDir = stringOpt(p, 'import');
  if (exportDir !== undefined) checkOutputPath('--export', exportDir, userPath(io.cwd, exportDir), 'dir');
  const jobs = intOpt(p, 'jobs', 'fetch') ?? 4;
  const idleSeconds = intOpt(p, 'idle-timeout', 'fetch') ?? 30;

  if (importDir !== undefined) {
    const clash = ['export', 'offline', 'recheck', 'all'].find((k) => p.values[k] !== undefined) ?? (p.positionals.length ? 'IMAGE' : undefined);
    if (clash) {
      throw new StrataError('cli/usage', `fetch: --import cannot be combined with ${clash === 'IMAGE' ? 'image names' : `--${clash}`}`, {
        hint: "import first ('strata fetch --import DIR'), then run 'strata fetch --offline' to check the tree",
      });
    }
    checkPathOption('--import', importDir, userPath(io.cwd, importDir), 'dir', {
      mustExist: true,
      hint: "import a directory written by 'strata fetch --export DIR'",
    });
    const rep = await importSources(new SourceCache(cacheDir), userPath(io.cwd, importDir), importDir);
    printImport(rep, json, io);
    return rep.rejected.length === 0 ? 0 : 1;
  }

  const result = await fetchTreeSources(
    {
      tree,
      cacheDir,
      images: p.positionals,
      offline: boolOpt(p, 'offline'),
      recheck: boolOpt(p, 'recheck'),
      jobs,
      idleTimeoutMs: idleSeconds * 1000,
      ...(exportDir !== undefined ? { exportDir: userPath(io.cwd, exportDir) } : {}),
      env: io.env,
    },
    io,
  );
  if (json) {
    io.json({
      sources: result.results.map(resultJson),
      ...(result.recheck
        ? { recheck: { ok: result.recheck.ok.length, corrupt: result.recheck.corrupt, staleTemps: result.recheck.staleTemps, strays: result.recheck.strays } }
        : {}),
      ...(result.exported ? { exported: { dir: result.exported.dir, entries: result.exported.entries } } : {}),
    });
  } else {
    if (result.recheck) {
      io.out(`recheck: ${result.recheck.ok.length} ok, ${result.recheck.corrupt.length} corrupt removed\n`);
    }
    io.out(`${summary(result.results)}\n`);
    if (result.exported) io.out(`exported ${result.exported.entries.length} sources to ${result.exported.dir}\n`);
  }
  if (!result.ok && exportDir !== undefined) io.err(`nothing exported: some sources are missing\n`);
  return result.ok ? 0 : 1;
}
