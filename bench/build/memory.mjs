#!/usr/bin/env node
// Peak memory benchmark (issue 3): build a package whose single RUN layer is ~1 GiB
// (one 256 MiB file of random bytes and three 256 MiB text files) and record the peak of
// the summed RSS of the strata process and all its children (bubblewrap, the RUN, …),
// sampled from /proc every 100 ms, plus GNU time's max RSS of the largest single process.
// Target: under 300 MB. The same package is built by buildah (build + push oci:) for the
// side-by-side time and memory figures.
//
//   npx tsc -p . && node bench/build/memory.mjs [--runs N] [--mb 1024]
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { addPackage, busyboxTree, cli, fmt, load, machine, median, timed, tmp } from './common.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, mb: { type: 'string', default: '1024' } } });
const RUNS = Number(values.runs);
const QUARTER = Math.max(1, Math.round(Number(values.mb) / 4));

console.log(`machine: ${machine()}`);
const { Buildah, buildahVersion } = await load('dist/build/interop/buildah.js');
const { buildTree } = await load('dist/build/build.js');
const { OciStore } = await load('dist/store/store.js');
const { exportImage } = await load('dist/store/export.js');

const tree = busyboxTree('strata-bench-mem-');
const templateStore = path.join(tmp('strata-bench-mem-store-'), 'store');
await buildTree({ tree, store: templateStore, images: ['core-busybox'] });
const baseLayout = path.join(tmp('strata-bench-mem-base-'), 'layout');
await exportImage(await OciStore.open(templateStore), 'core-busybox', baseLayout);
const q = QUARTER;
const dir = addPackage(tree, 'user', 'big-layer', `FROM stagex/core-busybox
RUN mkdir /big && head -c ${q * 1048576} /dev/urandom > /big/random \\
 && yes 'a line of text that repeats, with some numbers 0123456789' | head -c ${q * 1048576} > /big/text1 \\
 && seq 1 100000000 | head -c ${q * 1048576} > /big/text2 \\
 && yes 'another repeating line for the third file' | head -c ${q * 1048576} > /big/text3
`);

const rows = [];
for (let i = 0; i < RUNS; i++) {
  const store = path.join(tmp('strata-bench-mem-run-'), 'store');
  execFileSync('cp', ['-a', templateStore, store]);
  const s = await timed('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, cli, 'build', 'user-big-layer', '--tree', tree, '--store', store], { sampleMs: 100 });
  const single = Number(/maxrss_kb=(\d+)/.exec(s.stderr)?.[1] ?? 0);
  rmSync(path.dirname(store), { recursive: true, force: true });

  const work = tmp('strata-bench-mem-buildah-');
  const b = new Buildah(path.join(work, 'storage'));
  b.importLayout(baseLayout, 'core-busybox', 'docker.io/stagex/core-busybox:latest');
  const g = ['--root', b.root, '--runroot', b.runroot, '--storage-driver', b.driver];
  mkdirSync(path.join(work, 'out'));
  const script = 'buildah "$@" build --quiet --timestamp 0 --isolation chroot --pull-never -f "$DIR/Containerfile" -t localhost/bench:latest "$DIR" >/dev/null && buildah "$@" push --quiet localhost/bench:latest "oci:$OUT:bench"';
  const p = await timed('sh', ['-c', script, 'sh', ...g], { sampleMs: 100, env: { ...process.env, DIR: dir, OUT: path.join(work, 'out', 'layout') } });
  b.destroy();
  rmSync(work, { recursive: true, force: true });
  rows.push({ sWall: s.wall, sPeak: s.peakRssKb, sSingle: single, pWall: p.wall, pPeak: p.peakRssKb });
  console.log(`  run ${i + 1}: strata ${fmt(s.wall)}, peak tree RSS ${(s.peakRssKb / 1024).toFixed(0)} MiB (largest process ${(single / 1024).toFixed(0)} MiB); buildah ${fmt(p.wall)}, peak tree RSS ${(p.peakRssKb / 1024).toFixed(0)} MiB`);
}
const peak = Math.max(...rows.map((r) => r.sPeak)) / 1024;
console.log(`1 GiB layer: strata median ${fmt(median(rows.map((r) => r.sWall)))}, peak RSS ${peak.toFixed(0)} MiB (target < 300 MB: ${peak * 1.048576 < 300 ? 'met' : 'MISSED'}); buildah median ${fmt(median(rows.map((r) => r.pWall)))}, peak RSS ${(Math.max(...rows.map((r) => r.pPeak)) / 1024).toFixed(0)} MiB; time ratio ${(median(rows.map((r) => r.sWall)) / median(rows.map((r) => r.pWall))).toFixed(2)}`);
console.log(`load average after: ${machine().split('load average ')[1]}`);
rmSync(tree, { recursive: true, force: true });
rmSync(path.dirname(templateStore), { recursive: true, force: true });
rmSync(path.dirname(baseLayout), { recursive: true, force: true });
