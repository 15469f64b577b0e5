#!/usr/bin/env node
// bench/plan: time `strata plan --json` on a synthetic StageX-shaped tree of 500 packages
// (4 stages, chains 35 deep, one dependency shared by 480 packages, heredoc-heavy), next to
// a peer (bench/plan/peer.py: regex FROM/COPY --from + topological sort, the way StageX's
// Python graph generator works). Median of 5 wall-clock runs each, interleaved; prints both
// and the ratio, and checks that both found the same graph.
// usage: npm run build && node bench/plan/run.mjs [--runs N] [--realtime]
// --realtime runs both commands under `chrt -f 50` (root only): on a machine shared with
// other busy processes that is the way to measure the wall time an idle machine would
// show (docs/adr/0029). Both sides get the same treatment.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeTree } from './gen-tree.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, realtime: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const realtime = values.realtime;
const here = path.dirname(new URL(import.meta.url).pathname);
const cli = path.join(here, '..', '..', 'dist', 'cli', 'main.js');
const peer = path.join(here, 'peer.py');

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-plan-'));
try {
  const tree = writeTree(dir, { packages: 500, depth: 35, sharedBy: 480, seed: 1, subpackageEvery: 0, decoys: false });
  const strataCmd = [process.execPath, [cli, 'plan', '--json', '--tree', dir]];
  const peerCmd = ['python3', [peer, dir]];

  // wall time measured here; CPU time (user+sys) from GNU time when present, because on a
  // shared machine the wall time mostly measures the other processes
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const time = ([cmd0, args0]) => {
    const [cmd, args] = realtime ? ['chrt', ['-f', '50', cmd0, ...args0]] : [cmd0, args0];
    const [c, a] = gnuTime ? [gnuTime, ['-f', 'CPU %U %S', cmd, ...args]] : [cmd, args];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    return { ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, out: r.stdout };
  };
  // one warm-up each (file cache), then interleaved runs
  const s0 = time(strataCmd);
  const p0 = time(peerCmd);
  const a = JSON.parse(s0.out);
  const b = JSON.parse(p0.out);
  const shape = (j) => JSON.stringify(j.packages.map((p) => [p.name, p.deps, p.version]));
  if (shape(a) !== shape(b) || JSON.stringify(a.order) !== JSON.stringify(b.order)) throw new Error('strata and the peer disagree on the graph');
  const levels = new Map();
  for (const name of a.order) {
    const p = a.packages.find((x) => x.name === name);
    levels.set(name, Math.max(0, ...p.deps.map((d) => levels.get(d) + 1)));
  }
  const shared = a.packages.filter((p) => p.deps.includes('core-busybox')).length;
  const st = [];
  const pt = [];
  const sc = [];
  const pc = [];
  for (let i = 0; i < runs; i++) {
    const x = time(strataCmd);
    st.push(x.ms);
    sc.push(x.cpu);
    const y = time(peerCmd);
    pt.push(y.ms);
    pc.push(y.cpu);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const ms = median(st);
  const mp = median(pt);
  console.log(`tree: ${tree.packageCount} packages, ${a.packages.length} images, ${Math.max(...levels.values()) + 1} levels, core-busybox used by ${shared}`);
  if (realtime) console.log('both commands ran under chrt -f 50 (real-time priority: the wall time of an idle machine)');
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
  console.log(`strata plan --json: median ${(ms / 1000).toFixed(3)} s  (runs: ${st.map((x) => (x / 1000).toFixed(3)).join(' ')})`);
  console.log(`peer (python3 regex + toposort): median ${(mp / 1000).toFixed(3)} s  (runs: ${pt.map((x) => (x / 1000).toFixed(3)).join(' ')})`);
  console.log(`ratio strata/peer (wall): ${(ms / mp).toFixed(2)}  target: strata < 0.300 s`);
  if (gnuTime) {
    const cs = median(sc);
    const cp = median(pc);
    console.log(`CPU user+sys medians: strata ${(cs / 1000).toFixed(3)} s, peer ${(cp / 1000).toFixed(3)} s, ratio ${(cs / cp).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
