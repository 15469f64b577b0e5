/** `strata build`: build images of the tree into the store (thin wrapper over build/buildTree). */
import path from 'node:path';
import { buildTree, type BuildEvent, type BuildReport } from '../../build/build.js';
import { boolOpt, intOpt, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { checkOutputPath } from '../out-path.js';
import { Progress } from '../progress.js';
import { checkStoreToWrite } from '../store-options.js';
import { LAYER_COMPRESSION_OPTION, layerCompressionOpt } from '../layer-compression.js';

export const spec: CommandSpec = {
  name: 'build',
  summary: 'Build images of the tree (and what they need) into the store, reproducibly.',
  usage: 'strata build [options] [IMAGE...|--all]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    all: { type: 'boolean', description: 'build every image of the tree' },
    jobs: { type: 'string', short: 'j', valueName: 'N', description: 'images built at once (default 2)' },
    'keep-failed': { type: 'boolean', description: "keep a failed RUN's root and print its path (enter it with 'strata run --root')" },
    'run-timeout': { type: 'string', valueName: 'SECONDS', description: 'stop any RUN that takes longer (default: no limit)' },
    'allow-network': { type: 'boolean', description: 'give RUN steps network unless they say --network=none (the image is then not hermetic)' },
    cache: { type: 'string', valueName: 'DIR', description: 'the source cache (default: $STRATA_CACHE, else <tree>/.strata/sources)' },
    'no-cache': { type: 'boolean', description: 'rebuild even when the inputs are unchanged' },
    'layer-compression': LAYER_COMPRESSION_OPTION,
    json: JSON_OPTION,
  },
  details: `
Missing sources are fetched first. Images are built in plan order; an image whose inputs
(Containerfile, package.toml, context files, sources, dependency digests, build args,
platform) are unchanged is taken from the cache. Each image's line of digests/<stage>.txt
is updated. Build logs are kept in STORE/strata/logs/IMAGE.log; a failed image's line
names its log and, with --keep-failed, the 'strata run --root' command that enters it.
With --layer-compression zstd the layers are zstd (strata's pinned encoder): the digests
written are then zstd digests, and verify needs the same flag (export can convert
layers either way with it).
Exit 1 when a build fails, 2 on bad input.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const treeOpt = stringOpt(p, 'tree');
  const tree = path.resolve(io.cwd, treeOpt ?? '.');
  const store = stringOpt(p, 'store');
  const cache = stringOpt(p, 'cache');
  const json = boolOpt(p, 'json');
  // every directory the build writes, checked before anything is written (ADR 0173)
  checkOutputPath('--tree', treeOpt ?? '.', tree, 'dir', { hint: '--tree takes the tree directory; the build writes digests/ and .strata/ in it' });
  if (store !== undefined) checkStoreToWrite(store, path.resolve(io.cwd, store));
  if (cache !== undefined) checkOutputPath('--cache', cache, path.resolve(io.cwd, cache), 'dir', { hint: '--cache takes a writable directory for the source cache (created if missing)' });
  const progress = new Progress({ write: io.err, interactive: io.interactive });
  let report: BuildReport;
  try {
    const timeout = intOpt(p, 'run-timeout', 'build');
    const layerCompression = layerCompressionOpt(p, 'build');
    report = await buildTree({
      tree,
      images: p.positionals,
      all: boolOpt(p, 'all'),
      jobs: intOpt(p, 'jobs', 'build') ?? 2,
      keepFailed: boolOpt(p, 'keep-failed'),
      allowNetwork: boolOpt(p, 'allow-network'),
      noCache: boolOpt(p, 'no-cache'),
      env: io.env,
      ...(store !== undefined ? { store: path.resolve(io.cwd, store) } : {}),
      ...(cache !== undefined ? { sourceCache: path.resolve(io.cwd, cache) } : {}),
      ...(timeout !== undefined ? { runTimeoutSeconds: timeout } : {}),
      ...(layerCompression !== undefined ? { layerCompression } : {}),
      onEvent: (e) => {
        if (e.type === 'start') progress.start(e.image, e.image);
        else if (e.type === 'step') progress.start(e.image, `${e.image}: ${e.text.slice(0, 60)}`);
        else if (e.type === 'done') {
          const r = e.result;
          progress.finish(e.image, `${r.cached ? 'cached' : 'built '} ${r.image} ${r.digest}${r.hermetic ? '' : ' (not hermetic: network allowed)'}`);
        } else if (e.type === 'failed') {
          progress.finish(e.image, failedLine(e));
        }
      },
    });
  } finally {
    progress.close();
  }
  if (json) {
    io.json({ store: report.store, images: report.results });
  }
  return 0;
}

/** The progress line of a failed image: its log, and how to enter a kept root. */
function failedLine(e: Extract<BuildEvent, { type: 'failed' }>): string {
  const enter = e.keptRoot !== undefined ? `; enter the failed root with: strata run --root ${e.keptRoot} -- /bin/sh` : '';
  return `failed ${e.image} (log: ${e.log})${enter}`;
}
