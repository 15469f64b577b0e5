/** `strata build`: build images of the tree into the store (thin wrapper over build/buildTree). */
import path from 'node:path';
import { buildTree, type BuildReport } from '../../build/build.js';
import { boolOpt, intOpt, JSON_OPTION, parseCommand, STORE_OPTION, stringOpt, TREE_OPTION, type CommandSpec } from '../args.js';
import type { CliIO } from '../io.js';
import { Progress } from '../progress.js';

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
    'run-timeout': { type: 'string', valueName: 'SECONDS', description: 'stop any RUN that takes longer' },
    'allow-network': { type: 'boolean', description: 'give RUN steps network unless they say --network=none (the image is then not hermetic)' },
    cache: { type: 'string', valueName: 'DIR', description: 'the source cache (default: $STRATA_CACHE, else <tree>/.strata/sources)' },
    'no-cache': { type: 'boolean', description: 'rebuild even when the inputs are unchanged' },
    json: JSON_OPTION,
  },
  details: `
Missing sources are fetched first. Images are built in plan order; an image whose inputs
(Containerfile, package.toml, context files, sources, dependency digests, build args,
platform) are unchanged is taken from the cache. Each image's line of digests/<stage>.txt
is updated. Build logs are kept in <store>/strata/logs/<image>.log.
Exit 1 when a build fails, 2 on bad input.`,
};

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const store = stringOpt(p, 'store');
  const cache = stringOpt(p, 'cache');
  const json = boolOpt(p, 'json');
  const progress = new Progress({ write: io.err, interactive: io.interactive });
  let report: BuildReport;
  try {
    const timeout = intOpt(p, 'run-timeout', 'build');
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
      onEvent: (e) => {
        if (e.type === 'start') progress.start(e.image, e.image);
        else if (e.type === 'step') progress.start(e.image, `${e.image}: ${e.text.slice(0, 60)}`);
        else if (e.type === 'done') {
          const r = e.result;
          progress.finish(e.image, `${r.cached ? 'cached' : 'built '} ${r.image} ${r.digest}${r.hermetic ? '' : ' (not hermetic: network allowed)'}`);
        } else if (e.type === 'failed') {
          progress.finish(e.image, `failed ${e.image} (log: ${path.join('<store>', 'strata', 'logs', `${e.image}.log`)})`);
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
