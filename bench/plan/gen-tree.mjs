#!/usr/bin/env node
// Writes a synthetic StageX-shaped tree (see src/plan/testsupport/synthetic-tree.ts).
// usage: node bench/plan/gen-tree.mjs OUT_DIR [--packages N] [--depth D] [--shared S] [--seed X] [--subpackage-every K] [--no-decoys]
// Needs `npm run build` first. Refuses to write into a non-empty directory.
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const here = path.dirname(new URL(import.meta.url).pathname);
const { generateSyntheticTree } = await import(path.join(here, '..', '..', 'dist', 'plan', 'testsupport', 'synthetic-tree.js'));

export function writeTree(out, opts) {
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty`);
  const tree = generateSyntheticTree(opts);
  for (const [rel, text] of Object.entries(tree.files)) {
    const p = path.join(out, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return tree;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      packages: { type: 'string', default: '500' },
      depth: { type: 'string', default: '35' },
      shared: { type: 'string', default: '480' },
      seed: { type: 'string', default: '1' },
      'subpackage-every': { type: 'string', default: '0' },
      'no-decoys': { type: 'boolean', default: false },
    },
  });
  const out = positionals[0];
  if (!out) {
    console.error('usage: node bench/plan/gen-tree.mjs OUT_DIR [--packages N] [--depth D] [--shared S] [--seed X]');
    process.exit(2);
  }
  const tree = writeTree(out, {
    packages: Number(values.packages),
    depth: Number(values.depth),
    sharedBy: Number(values.shared),
    seed: Number(values.seed),
    subpackageEvery: Number(values['subpackage-every']),
    decoys: !values['no-decoys'],
  });
  console.log(`${out}: ${tree.packageCount} packages, ${Object.keys(tree.images).length} images`);
}
