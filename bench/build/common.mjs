// Shared helpers of the build benchmarks: a busybox base tree, timing of a child process
// with the peak RSS of its whole process tree (sampled from /proc), medians.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = path.join(repo, 'dist', 'cli', 'main.js');

export async function load(rel) {
  return import(pathToFileURL(path.join(repo, rel)).href);
}

export function tmp(prefix) {
  return mkdtempSync(path.join(process.env.BENCH_TMP ?? os.tmpdir(), prefix));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(s) {
  return `${s.toFixed(s < 10 ? 3 : 1)} s`;
}

/** Write a package (Containerfile + files) into tree/packages/<stage>/<name>. */
export function addPackage(tree, stage, name, containerfile, files = {}) {
  const dir = path.join(tree, 'packages', stage, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.toml'), `[package]\nname = "${name}"\nversion = "1.0"\n`);
  writeFileSync(path.join(dir, 'Containerfile'), containerfile);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

export const BUSYBOX_CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /tmp /etc /root && /bin/busybox chmod 1777 /tmp && /bin/busybox --install -s && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group"]
`;

/** A new tree with the core-busybox package (host /bin/busybox copied in). */
export function busyboxTree(prefix) {
  const tree = tmp(prefix);
  writeFileSync(path.join(tree, 'strata.toml'), 'namespace = "stagex"\n');
  const dir = addPackage(tree, 'core', 'busybox', BUSYBOX_CONTAINERFILE);
  copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  return tree;
}

function childrenOf() {
  const kids = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(name));
      kids.set(ppid, list);
    } catch {
      // gone
    }
  }
  return kids;
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over `pid` and all its descendants, in kB. */
export function treeRssKb(pid) {
  const kids = childrenOf();
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    total += rssKb(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return total;
}

/**
 * Run a command; resolves { wall, peakRssKb, stderr } where peakRssKb is the peak of the summed RSS of
 * the process tree, sampled every `sampleMs` (0 = no sampling). Rejects on a non-zero exit.
 */
export function timed(cmd, args, { cwd, sampleMs = 0, env } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 20000) err = err.slice(-10000);
    });
    let peak = 0;
    const timer = sampleMs ? setInterval(() => (peak = Math.max(peak, treeRssKb(child.pid))), sampleMs) : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err}`));
      else resolve({ wall, peakRssKb: peak, stderr: err });
    });
  });
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.versions.node}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
}
