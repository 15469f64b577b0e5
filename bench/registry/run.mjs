#!/usr/bin/env node
// Benchmark: publishing and pulling a ~200 MB image (several gzip layers, random-ish
// content made here) to/from a local docker-registry (distribution 2.8) on 127.0.0.1:
// strata vs `skopeo copy` between the same OCI layout (strata's store) and a registry.
//
//   npx tsc -p . && node bench/registry/run.mjs [--mb 200] [--layers 5] [--runs 5] [--realtime]
//
// --realtime runs every timed command under `chrt -f 50` (root only; ADR 0029): on a
// machine shared with other busy processes this gives the wall time of an idle machine.
// The registries themselves run at normal priority for both tools.
//
// Each run starts two empty registries (one per tool, so neither finds blobs the other
// pushed), then times, as separate processes:
//   push:   strata push --no-quorum  vs  skopeo copy oci:STORE:core-big docker://…
//   pull:   strata pull (quorum + verified pull into an empty store)  vs  skopeo copy docker://… oci:EMPTY
//   quorum: strata check core-big (the check publish and pull do first), timed alone
// `strata publish` = the quorum check + the same transfer as push (one code path).
// Prints every run, the medians and the ratios strata/skopeo (target ≤ 1.2), for wall time
// and for CPU time (user+sys of the command and its children, from GNU time: on a shared
// machine the steadier figure; the registry's own CPU is in neither). "pull − check" is the
// pull's wall time minus the separately timed quorum check (node start-up, openpgp.js, two
// signatures): an estimate of the transfer alone.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(repo, 'dist');
const cli = path.join(dist, 'cli', 'main.js');
const { makeTrustTree, writeDigests, signWith } = await import(path.join(dist, 'publish', 'testsupport', 'fixture.js'));
const { oneFileTar } = await import(path.join(dist, 'registry', 'testsupport', 'test-image.js'));
const { startRegistry } = await import(path.join(dist, 'registry', 'testsupport', 'registry-server.js'));
const { OciStore } = await import(path.join(dist, 'store', 'store.js'));
const { buildImageConfig, parsePlatform } = await import(path.join(dist, 'oci', 'build.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MB = opt('mb', 200);
const LAYERS = opt('layers', 5);
const RUNS = opt('runs', 5);
const REALTIME = args.includes('--realtime');

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Random-ish content: random 4 KiB blocks mixed with repeated text (compresses ~25 %). */
function content(bytes, seed) {
  const out = Buffer.alloc(bytes);
  const text = Buffer.from(`layer ${seed}: the quick brown fox jumps over the lazy dog\n`.repeat(64));
  for (let off = 0; off < bytes; off += 4096) {
    const block = (off / 4096) % 4 === 0 ? text.subarray(0, 4096) : randomBytes(4096);
    block.copy(out, off, 0, Math.min(4096, bytes - off));
  }
  return out;
}

/** Wall seconds (recorded in the caller's `cpu` map too: user+sys seconds from GNU time). */
let cpuOut;
function time(cmd, argv, env = {}, cpu = undefined) {
  const t0 = process.hrtime.bigint();
  const prefix = REALTIME ? ['chrt', '-f', '50'] : [];
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', cpuOut, ...prefix, cmd, ...argv], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  if (cpu) {
    const [u, sy] = readFileSync(cpuOut, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    cpu.push(u + sy);
  }
  return s;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-registry-'));
cpuOut = path.join(root, 'cpu.txt');
try {
  console.error(`making a ${MB} MB image with ${LAYERS} layers in ${root} …`);
  const tree = await makeTrustTree(path.join(root, 'tree'), [{ image: 'core-big', version: '1.0' }], ['alice', 'bob'], 2);
  const storeDir = path.join(root, 'store');
  const store = await OciStore.open(storeDir, { create: true });
  const layers = [];
  const diffIds = [];
  let total = 0;
  for (let i = 0; i < LAYERS; i++) {
    // compressed size ≈ 0.78 × raw; aim the compressed total at MB
    const tar = oneFileTar(`data-${i}.bin`, content(Math.round((MB * 1024 * 1024) / LAYERS / 0.78), i));
    const gz = gzipSync(tar, { level: 1 });
    diffIds.push(sha(tar));
    const r = await store.putBlob(gz, { digest: sha(gz) });
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: r.digest, size: r.size });
    total += r.size;
  }
  const config = buildImageConfig({ platform: parsePlatform('linux/amd64'), sourceDateEpoch: 1, diffIds, history: layers.map((_, i) => ({ created_by: `layer ${i}` })) });
  const desc = await store.writeImage('core-big', config, layers);
  writeDigests(tree.root, { 'core-big': desc.digest });
  const sigs = path.join(root, 'sigs');
  await signWith(sigs, 'core-big', '1.0', desc.digest, [tree.keys.alice, tree.keys.bob]);
  console.error(`image ${desc.digest}: ${(total / 1048576).toFixed(1)} MiB in ${LAYERS} layers`);

  const env = { HOME: root }; // no auth files, no skopeo blob-info cache shared with the host
  const rows = [];
  for (let run = 1; run <= RUNS; run++) {
    const regS = await startRegistry();
    const regK = await startRegistry();
    const pulledS = path.join(root, `pulled-strata-${run}`);
    const pulledK = path.join(root, `pulled-skopeo-${run}`);
    try {
      const c = { strataPush: [], skopeoPush: [], strataPull: [], skopeoPull: [], quorum: [] };
      const strataPush = () => time('node', [cli, 'push', '--no-quorum', '--tree', tree.root, '--store', storeDir, '--to', `${regS.host}/stagex`, 'core-big'], env, c.strataPush);
      const skopeoPush = () => time('skopeo', ['--insecure-policy', 'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${storeDir}:core-big`, `docker://${regK.host}/stagex/core-big:1.0`], env, c.skopeoPush);
      const strataPull = () => time('node', [cli, 'pull', '--tree', tree.root, '--store', pulledS, '--signatures', sigs, `${regS.host}/stagex/core-big@${desc.digest}`], env, c.strataPull);
      const skopeoPull = () => time('skopeo', ['--insecure-policy', 'copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', `docker://${regK.host}/stagex/core-big@${desc.digest}`, `oci:${pulledK}:core-big`], env, c.skopeoPull);
      // alternate who goes first, so neither always gets the warmer page cache
      const row = { run };
      if (run % 2) {
        row.strataPush = strataPush();
        row.skopeoPush = skopeoPush();
        row.strataPull = strataPull();
        row.skopeoPull = skopeoPull();
      } else {
        row.skopeoPush = skopeoPush();
        row.strataPush = strataPush();
        row.skopeoPull = skopeoPull();
        row.strataPull = strataPull();
      }
      row.quorum = time('node', [cli, 'check', '--tree', tree.root, '--signatures', sigs, 'core-big'], env, c.quorum);
      for (const [k, v] of Object.entries(c)) row[`${k}Cpu`] = v[0];
      // same digest on both sides
      const pulledStore = await OciStore.open(pulledS);
      if ((await pulledStore.resolveRef('core-big'))?.digest !== desc.digest) throw new Error('strata pulled another digest');
      rows.push(row);
      console.log(
        `run ${run}: push strata ${row.strataPush.toFixed(2)} s (cpu ${row.strataPushCpu.toFixed(2)}), skopeo ${row.skopeoPush.toFixed(2)} s (cpu ${row.skopeoPushCpu.toFixed(2)}) | ` +
          `pull strata ${row.strataPull.toFixed(2)} s (cpu ${row.strataPullCpu.toFixed(2)}), skopeo ${row.skopeoPull.toFixed(2)} s (cpu ${row.skopeoPullCpu.toFixed(2)}) | ` +
          `quorum check ${row.quorum.toFixed(2)} s (cpu ${row.quorumCpu.toFixed(2)}) | load ${os.loadavg()[0].toFixed(1)}`,
      );
    } finally {
      await regS.stop();
      await regK.stop();
      rmSync(pulledS, { recursive: true, force: true });
      rmSync(pulledK, { recursive: true, force: true });
    }
  }
  const m = (k) => median(rows.map((r) => r[k]));
  const mib = total / 1048576;
  console.log(`\n${mib.toFixed(1)} MiB, ${LAYERS} layers, median of ${RUNS} on ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}${REALTIME ? ', every command under chrt -f 50' : ''}`);
  const both = (a, b, label) => {
    console.log(
      `${label} strata ${m(a).toFixed(2)} s (${(mib / m(a)).toFixed(0)} MiB/s)  skopeo ${m(b).toFixed(2)} s  ratio strata/skopeo ${(m(a) / m(b)).toFixed(2)}` +
        ` | CPU strata ${m(`${a}Cpu`).toFixed(2)} s  skopeo ${m(`${b}Cpu`).toFixed(2)} s  ratio ${(m(`${a}Cpu`) / m(`${b}Cpu`)).toFixed(2)}`,
    );
  };
  both('strataPush', 'skopeoPush', 'push:  ');
  both('strataPull', 'skopeoPull', 'pull:  ');
  const transfer = median(rows.map((r) => r.strataPull - r.quorum));
  console.log(`pull − check: strata ${transfer.toFixed(2)} s  ratio to skopeo pull ${(transfer / m('skopeoPull')).toFixed(2)} (an estimate of the transfer alone)`);
  console.log(`quorum: strata check ${m('quorum').toFixed(2)} s, CPU ${m('quorumCpu').toFixed(2)} s (2 signatures, includes node start-up)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
