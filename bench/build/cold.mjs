#!/usr/bin/env node
// Cold build benchmark (issue 3): strata vs `buildah build --timestamp 0 --isolation chroot`
// followed by `buildah push oci:DIR` (both then hold gzip layers), on a busybox base both
// start from (strata: a copy of a store holding only the base; buildah: fresh storage with
// the same base pulled from strata's OCI export — neither setup is timed).
// Cases: many small RUN steps; one COPY of a ~300 MiB tree; one ADD of a large tarball.
// Interleaved runs, median per side, ratio strata/buildah printed.
//
//   npx tsc -p . && node bench/build/cold.mjs [--runs N] [--cases many-runs,copy-300mb,add-tarball] [--size-mb 300]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addPackage, busyboxTree, cli, fmt, load, machine, median, timed, tmp } from './common.mjs';
import { generateTree } from '../layer/generate.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    cases: { type: 'string', default: 'many-runs,copy-300mb,add-tarball' },
    'size-mb': { type: 'string', default: '300' },
    steps: { type: 'string', default: '40' },
  },
});
const RUNS = Number(values.runs);
const CASES = values.cases.split(',');
const SIZE_MB = Number(values['size-mb']);
const STEPS = Number(values.steps);

const { Buildah, buildahVersion } = await load('dist/build/interop/buildah.js');
const { buildTree } = await load('dist/build/build.js');
const { OciStore } = await load('dist/store/store.js');
const { exportImage } = await load('dist/store/export.js');

const version = buildahVersion();
if (!version) {
  console.error('buildah is not installed (apt-get install -y buildah)');
  process.exit(2);
}

console.log(`machine: ${machine()}`);
console.log(`peer: ${version}, storage driver overlay; runs: ${RUNS}`);

// ---- inputs -----------------------------------------------------------------------------
const tree = busyboxTree('strata-bench-cold-');
const templateStore = path.join(tmp('strata-bench-cold-store-'), 'store');
const base = await buildTree({ tree, store: templateStore, images: ['core-busybox'] });
const baseLayout = path.join(tmp('strata-bench-cold-base-'), 'layout');
await exportImage(await OciStore.open(base.store), 'core-busybox', baseLayout);

const cases = {};
if (CASES.includes('many-runs')) {
  const runs = Array.from({ length: STEPS }, (_, i) => `RUN echo ${i} > /step-${i} && mkdir -p /d${i} && cp /etc/passwd /d${i}/passwd`).join('\n');
  cases['many-runs'] = { dir: addPackage(tree, 'user', 'many-runs', `FROM stagex/core-busybox\n${runs}\n`), what: `${STEPS} small RUN steps` };
}
let treeDir;
const needTree = CASES.includes('copy-300mb') || CASES.includes('add-tarball');
if (needTree) {
  treeDir = path.join(tmp('strata-bench-cold-tree-'), 'tree');
  const t0 = Date.now();
  const g = generateTree(treeDir, SIZE_MB);
  console.log(`generated ${(g.total / 2 ** 20).toFixed(0)} MiB in ${g.files} files (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
if (CASES.includes('copy-300mb')) {
  const dir = addPackage(tree, 'user', 'copy-300mb', 'FROM stagex/core-busybox\nCOPY tree /data/\n');
  execFileSync('cp', ['-a', treeDir, path.join(dir, 'tree')]);
  cases['copy-300mb'] = { dir, what: `COPY of a ${SIZE_MB} MiB tree` };
}
if (CASES.includes('add-tarball')) {
  const dir = addPackage(tree, 'user', 'add-tarball', 'FROM stagex/core-busybox\nADD big.tar.gz /opt/\n');
  execFileSync('sh', ['-c', `tar --sort=name -C "${path.dirname(treeDir)}" -cf - tree | gzip -n -6 > "${path.join(dir, 'big.tar.gz')}"`]);
  const size = Number(execFileSync('stat', ['-c', '%s', path.join(dir, 'big.tar.gz')], { encoding: 'utf8' }));
  cases['add-tarball'] = { dir, what: `ADD of a ${(size / 2 ** 20).toFixed(0)} MiB tar.gz (${SIZE_MB} MiB unpacked)` };
}

// ---- one run of each side ------------------------------------------------------------------
async function strataOnce(name) {
  const store = path.join(tmp('strata-bench-cold-run-'), 'store');
  execFileSync('cp', ['-a', templateStore, store]);
  try {
    return (await timed(process.execPath, [cli, 'build', `user-${name}`, '--tree', tree, '--store', store])).wall;
  } finally {
    rmSync(path.dirname(store), { recursive: true, force: true });
  }
}

async function buildahOnce(name) {
  const work = tmp('strata-bench-cold-buildah-');
  const b = new Buildah(path.join(work, 'storage'));
  try {
    b.importLayout(baseLayout, 'core-busybox', 'docker.io/stagex/core-busybox:latest');
    const g = ['--root', b.root, '--runroot', b.runroot, '--storage-driver', b.driver];
    const dir = cases[name].dir;
    const out = path.join(work, 'out');
    mkdirSync(out);
    const script = 'buildah "$@" build --quiet --timestamp 0 --isolation chroot --pull-never -f "$DIR/Containerfile" -t localhost/bench:latest "$DIR" >/dev/null && buildah "$@" push --quiet localhost/bench:latest "oci:$OUT:bench"';
    return (await timed('sh', ['-c', script, 'sh', ...g], { env: { ...process.env, DIR: dir, OUT: path.join(out, 'layout') } })).wall;
  } finally {
    b.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

const rows = [];
for (const name of Object.keys(cases)) {
  const s = [];
  const p = [];
  for (let i = 0; i < RUNS; i++) {
    s.push(await strataOnce(name));
    p.push(await buildahOnce(name));
    console.log(`  ${name} run ${i + 1}: strata ${fmt(s.at(-1))}, buildah ${fmt(p.at(-1))}`);
  }
  const row = { name, what: cases[name].what, strata: median(s), buildah: median(p), sMin: Math.min(...s), sMax: Math.max(...s), pMin: Math.min(...p), pMax: Math.max(...p) };
  row.ratio = row.strata / row.buildah;
  rows.push(row);
  console.log(`${name} (${row.what}): strata ${fmt(row.strata)} (${fmt(row.sMin)}–${fmt(row.sMax)}), buildah ${fmt(row.buildah)} (${fmt(row.pMin)}–${fmt(row.pMax)}), ratio ${row.ratio.toFixed(2)}${row.ratio <= 1 ? '' : '  ** slower than buildah **'}`);
}
console.log(`load average after: ${machine().split('load average ')[1]}`);
console.log(JSON.stringify(rows));

rmSync(tree, { recursive: true, force: true });
rmSync(path.dirname(templateStore), { recursive: true, force: true });
rmSync(path.dirname(baseLayout), { recursive: true, force: true });
if (treeDir) rmSync(path.dirname(treeDir), { recursive: true, force: true });
