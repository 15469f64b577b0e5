/** `strata verify`: rebuild from scratch and compare with digests/*.txt; exit 1 on any mismatch. */
import path from 'node:path';
import { renderComparison } from '../../verify/render.js';
import { verifyTree, type VerifyReport } from '../../verify/verify.js';
import { JSON_OPTION, STORE_OPTION, TREE_OPTION, boolOpt, checkPathOption, intOpt, parseCommand, stringOpt, type CommandSpec, checkTreeOption, imagesOrAll } from '../args.js';
import type { CliIO } from '../io.js';
import { checkOutputPath } from '../out-path.js';
import { LAYER_COMPRESSION_OPTION, layerCompressionOpt } from '../layer-compression.js';

export const spec: CommandSpec = {
  name: 'verify',
  summary: 'rebuild from scratch and compare with digests/*.txt; explain every mismatch',
  usage: 'strata verify [options] [IMAGE...|--all]',
  options: {
    tree: TREE_OPTION,
    store: STORE_OPTION,
    all: { type: 'boolean', description: 'verify every image of the tree' },
    vary: { type: 'boolean', description: 'rebuild under a different build directory, TZ, umask, locale, job count, CPU affinity, clock and context order' },
    jobs: { type: 'string', short: 'j', valueName: 'N', description: 'job count of the reference build (default 2); --vary rebuilds with another' },
    'allow-network': { type: 'boolean', description: 'let RUN steps use the network, as the reference build did' },
    cache: { type: 'string', valueName: 'DIR', description: 'the source cache, as for build (default: $STRATA_CACHE, else <tree>/.strata/sources)' },
    'layer-compression': { ...LAYER_COMPRESSION_OPTION, description: 'layer compression the reference build used: gzip (default) or zstd' },
    json: JSON_OPTION,
  },
  details: [
    'The tree is copied to a temporary directory and rebuilt there into a fresh store with',
    'no cache (the tree, its digests and its store are not touched; the source cache is',
    'shared). Each rebuilt digest is compared with digests/<stage>.txt; a mismatch is',
    'explained against the recorded image in the store, down to the file.',
    'Exit 0 when every image reproduces, 1 on any mismatch or unrecorded image.',
  ].join('\n'),
};

function hex(d: string | undefined): string {
  return d === undefined ? '-' : d.replace(/^sha256:/, '');
}

export function renderVerifyReport(r: VerifyReport): string {
  const out: string[] = [];
  if (r.vary) {
    out.push('variations (reference → rebuild):');
    const w = Math.max(...r.variations.map((v) => v.name.length));
    for (const v of r.variations) out.push(`  ${v.name.padEnd(w)}  ${v.reference} → ${v.rebuild}${v.applied ? '' : ' [not varied]'}`);
    out.push('');
  }
  const rows = [['IMAGE', 'EXPECTED', 'REBUILT', 'STATUS'], ...r.images.map((i) => [i.image, hex(i.expected), hex(i.rebuilt), i.status])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) out.push(row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  '));
  for (const i of r.images) {
    if (i.status === 'reproduced') continue;
    out.push('', `${i.image}: ${i.status === 'mismatch' ? 'the rebuilt image differs from the recorded one' : 'not recorded'}`);
    if (i.note) out.push(`  ${i.note}`);
    // a compression-only mismatch is said in the note; its per-layer lines are in --json
    if (i.comparison && !i.compression) for (const l of renderComparison(i.comparison)) out.push(`  ${l}`);
  }
  const bad = r.images.filter((i) => i.status !== 'reproduced').length;
  const n = r.images.length;
  out.push('', bad ? `${bad} of ${n} image${n === 1 ? '' : 's'} did not reproduce` : n === 1 ? 'the image reproduces' : `all ${n} images reproduce`);
  return `${out.join('\n')}\n`;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(spec, argv, io.out);
  if (!p) return 0;
  checkTreeOption(p, io.cwd);
  imagesOrAll(p, 'verify');
  const tree = path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.');
  const store = stringOpt(p, 'store');
  if (store !== undefined) checkPathOption('--store', store, path.resolve(io.cwd, store), 'dir', { mustExist: true, hint: '--store names the store holding the recorded images' });
  const jobs = intOpt(p, 'jobs', 'verify');
  // --cache is build's option: the rebuild reads (and fetches missing sources into) that cache.
  const cache = stringOpt(p, 'cache');
  if (cache !== undefined) checkOutputPath('--cache', cache, path.resolve(io.cwd, cache), 'dir', { hint: '--cache takes the source cache directory build used' });
  const layerCompression = layerCompressionOpt(p, 'verify');
  const report = await verifyTree({
    tree,
    ...(store !== undefined ? { store: path.resolve(io.cwd, store) } : {}),
    images: p.positionals,
    all: boolOpt(p, 'all'),
    vary: boolOpt(p, 'vary'),
    ...(jobs !== undefined ? { jobs } : {}),
    allowNetwork: boolOpt(p, 'allow-network'),
    ...(layerCompression !== undefined ? { layerCompression } : {}),
    ...(cache !== undefined ? { sourceCache: path.resolve(io.cwd, cache) } : {}),
    env: io.env,
    onProgress: (l) => io.err(`${l}\n`),
  });
  if (boolOpt(p, 'json')) io.json(report);
  else io.out(renderVerifyReport(report));
  return report.ok ? 0 : 1;
}
