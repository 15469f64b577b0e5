#!/usr/bin/env node
// Benchmark: `strata check --all` vs a shell loop of `gpg --verify` over the same
// lookaside signature files (500 images × 2 signers = 1,000 signatures by default).
// Keys are generated here (one Ed25519, one RSA 3072); nothing is committed.
//
//   npx tsc -p . && node bench/check/run.mjs [--images N] [--runs R]
//
// Prints each run's wall time, the medians and the ratio gpg/strata.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(repo, 'dist');
const { generateTestKey, armoredPublic, signReference } = await import(path.join(dist, 'trust', 'test-keys.js'));
const { writeSignature } = await import(path.join(dist, 'trust', 'lookaside.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const IMAGES = opt('images', 500);
const RUNS = opt('runs', 5);

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-bench-check-'));
const gnupg = await fs.mkdtemp(path.join(os.tmpdir(), 'gh-'));
await fs.chmod(gnupg, 0o700);
try {
  console.error(`setting up ${IMAGES} images × 2 signers in ${root} …`);
  const [alice, bob] = await Promise.all([
    generateTestKey({ name: 'Alice' }),
    generateTestKey({ name: 'Bob', type: 'rsa3072' }),
  ]);
  await fs.writeFile(path.join(root, 'strata.toml'), 'threshold = 2\n');
  await fs.writeFile(
    path.join(root, 'MAINTAINERS'),
    `[people.alice]\nName = Alice\n[people.bob]\nName = Bob\n[keys.alice.a]\nID = ${alice.getFingerprint()}\n[keys.bob.b]\nID = ${bob.getFingerprint()}\n`,
  );
  await fs.mkdir(path.join(root, 'keys'));
  await fs.writeFile(path.join(root, 'keys', 'alice.asc'), armoredPublic(alice));
  await fs.writeFile(path.join(root, 'keys', 'bob.asc'), armoredPublic(bob));
  const sigs = path.join(root, 'signatures');
  const lines = [];
  const files = [];
  for (let i = 0; i < IMAGES; i++) {
    const image = `core-pkg${String(i).padStart(4, '0')}`;
    const digest = `sha256:${createHash('sha256').update(image).digest('hex')}`;
    lines.push(`${digest.slice(7)} ${image}`);
    for (const key of [alice, bob]) {
      const { file } = await writeSignature(sigs, `stagex/${image}`, digest, await signReference(`stagex/${image}:1.0`, digest, key));
      files.push(file);
    }
  }
  await fs.mkdir(path.join(root, 'digests'));
  await fs.writeFile(path.join(root, 'digests', 'core.txt'), lines.sort().join('\n') + '\n');
  await fs.writeFile(path.join(root, 'files.txt'), files.join('\n') + '\n');

  const env = { ...process.env, GNUPGHOME: gnupg };
  for (const k of ['alice', 'bob']) {
    const r = spawnSync('gpg', ['--batch', '--quiet', '--import', path.join(root, 'keys', `${k}.asc`)], { env });
    if (r.status !== 0) throw new Error(`gpg --import failed: ${r.stderr}`);
  }

  // Wall time, plus CPU time of the command and all its children (bash `times`), which is
  // less sensitive to other load on a shared machine.
  const timeIt = (cmd, argv) => {
    const quoted = [cmd, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `${quoted} >/dev/null || exit $?; times`], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${String(r.stderr).slice(-500)}`);
    const children = r.stdout.trim().split('\n').pop().trim().split(/\s+/);
    const sec = (x) => {
      const m = /^(\d+)m([\d.]+)s$/.exec(x);
      return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    };
    return { ms, cpuMs: (sec(children[0]) + sec(children[1])) * 1000 };
  };
  const strataRun = (threads) =>
    timeIt(process.execPath, [path.join(dist, 'cli', 'main.js'), 'check', '--tree', root, '--signatures', sigs, '--all', '--threads', String(threads)]);
  // The documented manual way: one gpg --verify per signature file.
  const gpgLoop = `while read -r f; do gpg --batch --quiet --verify "$f" 2>/dev/null || { echo "FAILED $f" >&2; exit 1; }; done < '${path.join(root, 'files.txt')}'`;
  const gpgRun = () => timeIt('bash', ['-c', gpgLoop]);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const s = [];
  const s2 = [];
  const g = [];
  for (let i = 0; i < RUNS; i++) {
    s.push(strataRun(1));
    s2.push(strataRun(2));
    g.push(gpgRun());
    const f = (x) => `${x.ms.toFixed(0)} ms (cpu ${x.cpuMs.toFixed(0)})`;
    console.error(`run ${i + 1}/${RUNS}: strata ${f(s[i])}, strata --threads 2 ${f(s2[i])}, gpg loop ${f(g[i])}`);
  }
  const wall = (xs) => median(xs.map((x) => x.ms));
  const cpu = (xs) => median(xs.map((x) => x.cpuMs));
  const result = {
    signatures: files.length,
    runs: RUNS,
    strataMedianMs: Math.round(wall(s)),
    strataThreads2MedianMs: Math.round(wall(s2)),
    gpgLoopMedianMs: Math.round(wall(g)),
    ratio: Number((wall(g) / wall(s)).toFixed(2)),
    ratioThreads2: Number((wall(g) / wall(s2)).toFixed(2)),
    strataCpuMedianMs: Math.round(cpu(s)),
    gpgLoopCpuMedianMs: Math.round(cpu(g)),
    cpuRatio: Number((cpu(g) / cpu(s)).toFixed(2)),
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))),
  };
  console.log(JSON.stringify(result));
  console.log(
    `strata check: ${result.strataMedianMs} ms (--threads 2: ${result.strataThreads2MedianMs} ms), gpg --verify loop: ${result.gpgLoopMedianMs} ms → ${result.ratio}× (${result.ratioThreads2}× with 2 threads); CPU time ratio ${result.cpuRatio}×`,
  );
} finally {
  spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']);
  if (process.env.STRATA_BENCH_KEEP) console.error(`kept ${root}`);
  else await fs.rm(root, { recursive: true, force: true });
  await fs.rm(gnupg, { recursive: true, force: true });
}
