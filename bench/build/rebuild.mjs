#!/usr/bin/env node
// No-change rebuild benchmark (issue 3): a 500-package tree whose packages really build
// (FROM scratch or FROM the package 15 before it, plus a COPY of a small file: 15 chains,
// 34 levels deep), built once cold (not timed), then `strata build --all` again with
// nothing changed, RUNS times. Target: under 1 s wall. There is no meaningful peer for
// a 500-image cache check, so the reference printed beside it is `strata plan --json` on the
// same tree (the floor: loading and planning the tree), with the ratio rebuild/plan.
//
// --realtime runs both timed commands under `chrt -f 50` (root): the wall time an idle
// machine would give, on a shared host (docs/adr/0029).
//
//   npx tsc -p . && node bench/build/rebuild.mjs [--runs N] [--packages 500] [--chains 15] [--realtime]
import path from 'node:path';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { addPackage, cli, fmt, machine, median, timed, tmp } from './common.mjs';
import { writeFileSync } from 'node:fs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, packages: { type: 'string', default: '500' }, chains: { type: 'string', default: '15' }, realtime: { type: 'boolean', default: false } } });
const REALTIME = values.realtime;
/** A node command, under real-time priority with --realtime. */
const node = (args) => (REALTIME ? ['chrt', ['-f', '50', process.execPath, ...args]] : [process.execPath, args]);
const RUNS = Number(values.runs);
const N = Number(values.packages);
const CHAINS = Number(values.chains);

console.log(`machine: ${machine()}${REALTIME ? ' (timed commands under chrt -f 50)' : ''}`);
const tree = tmp('strata-bench-rebuild-');
writeFileSync(path.join(tree, 'strata.toml'), 'namespace = "stagex"\n');
const name = (i) => `p${String(i).padStart(3, '0')}`;
for (let i = 0; i < N; i++) {
  const from = i < CHAINS ? 'scratch' : `stagex/core-${name(i - CHAINS)}`;
  addPackage(tree, 'core', name(i), `FROM ${from}\nCOPY f.txt /${name(i)}.txt\n`, { 'f.txt': `package ${i}\n` });
}
const store = path.join(tree, '.strata', 'store');
const t0 = Date.now();
await timed(process.execPath, [cli, 'build', '--all', '--tree', tree, '--store', store, '--jobs', '2']);
console.log(`cold build of ${N} packages (setup, not part of the figure): ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const rebuild = [];
const plan = [];
for (let i = 0; i < RUNS + 1; i++) {
  const r = await timed(...node([cli, 'build', '--all', '--tree', tree, '--store', store, '--json']));
  const p = await timed(...node([cli, 'plan', '--json', '--tree', tree]));
  if (i === 0) continue; // warm-up (page cache)
  rebuild.push(r.wall);
  plan.push(p.wall);
  console.log(`  run ${i}: rebuild ${fmt(r.wall)}, plan ${fmt(p.wall)}`);
}
const m = median(rebuild);
const mp = median(plan);
console.log(`no-change rebuild of ${N} packages: median ${fmt(m)} (${fmt(Math.min(...rebuild))}–${fmt(Math.max(...rebuild))}); plan --json ${fmt(mp)}; ratio rebuild/plan ${(m / mp).toFixed(2)}; target < 1 s: ${m < 1 ? 'met' : 'MISSED'}`);
console.log(`load average after: ${machine().split('load average ')[1]}`);
rmSync(tree, { recursive: true, force: true });
