/**
 * Host checks for building: everything the sandbox needs, each with the fix.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isStrataError } from '../errors.js';
import { zstdCheck, zstdNeeds } from './doctor-zstd.js';
import { execHelperPath, xattrAddon } from './native.js';
import { i386ExitElf } from './i386-probe.js';
import { run } from './run.js';

export interface DoctorCheck {
  readonly name: string;
  readonly required: boolean;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** How to fix it (only when not ok). */
  readonly fix?: string;
}

export interface DoctorOptions {
  /** The store directory whose file system must have room (it need not exist yet). */
  readonly storeDir: string;
  /** Minimum free bytes under the store. Default 10 GiB. */
  readonly minFreeBytes?: number;
  /** The tree, to tell whether it needs the host zstd (ADR 0156); none: only the store is looked at. */
  readonly tree?: string;
  /** The zstd program to look for (tests name a missing one). Default 'zstd'. */
  readonly zstdTool?: string;
}

export const DEFAULT_MIN_FREE_BYTES = 10 * 1024 ** 3;

function check(name: string, required: boolean, ok: boolean, detail: string, fix: string): DoctorCheck {
  return ok ? { name, required, ok, detail } : { name, required, ok, detail, fix };
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  checks.push(check('root', true, isRoot, isRoot ? 'running as root' : `running as uid ${process.getuid?.()}`, 'run strata as root (a VM or a CI container); the sandbox maps ids 0-65535 and mounts overlayfs'));

  const bw = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
  const bwOk = bw.status === 0;
  checks.push(check('bubblewrap', true, bwOk, bwOk ? bw.stdout.trim() : 'bwrap not found', "apt-get install bubblewrap"));

  const un = spawnSync('unshare', ['--version'], { encoding: 'utf8' });
  checks.push(check('unshare', true, un.status === 0, un.status === 0 ? un.stdout.trim() : 'unshare not found', 'apt-get install util-linux mount'));

  let nativeOk = true;
  let nativeDetail = 'xattr addon and strata-exec built';
  try {
    xattrAddon();
    execHelperPath();
  } catch (e) {
    nativeOk = false;
    nativeDetail = isStrataError(e) ? e.message : String(e);
  }
  checks.push(check('native helpers', true, nativeOk, nativeDetail, "npm run build:native (needs python3, make, gcc and libc6-dev)"));

  const maxNs = readNumber('/proc/sys/user/max_user_namespaces');
  checks.push(check('user namespaces', true, maxNs !== undefined && maxNs > 0, `user.max_user_namespaces = ${maxNs ?? 'unknown'}`, 'sysctl -w user.max_user_namespaces=15000'));

  const fsList = safeRead('/proc/filesystems');
  const overlayKnown = /\toverlay$/m.test(fsList);
  checks.push(check('overlayfs', true, overlayKnown, overlayKnown ? 'overlay in /proc/filesystems' : 'overlay not in /proc/filesystems', 'modprobe overlay (kernel CONFIG_OVERLAY_FS)'));

  checks.push(i386Check());

  if (isRoot && bwOk && nativeOk && overlayKnown && maxNs) checks.push(await sandboxCheck());
  else checks.push(check('sandbox', true, false, 'skipped: a check above failed', 'fix the failed checks above'));

  checks.push(diskCheck(options.storeDir, options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES));
  checks.push(zstdCheck(options.zstdTool ?? 'zstd', zstdNeeds(options.tree, options.storeDir)));
  return checks;
}

function i386Check(): DoctorCheck {
  const dir = mkTemp();
  try {
    const file = path.join(dir, 'probe32');
    writeFileSync(file, i386ExitElf(42));
    chmodSync(file, 0o755);
    const r = spawnSync(file, [], { encoding: 'utf8' });
    const ok = r.status === 42;
    return check('i386 execution', true, ok, ok ? 'a static i386 ELF ran' : `a static i386 ELF failed: ${r.error?.message ?? `exit ${r.status}`}`, 'use a kernel with CONFIG_IA32_EMULATION=y (and no ia32_emulation=0 on its command line)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** End to end: overlay mount, bwrap, identity-mapped ids (setresuid 1000 must work), nothing captured. */
async function sandboxCheck(): Promise<DoctorCheck> {
  const dir = mkTemp();
  const fix = "check 'dmesg' and the detail; bubblewrap must be able to create user, pid and network namespaces";
  try {
    for (const d of ['lower', 'upper', 'work']) mkdirSync(path.join(dir, d));
    copyFileSync(execHelperPath(), path.join(dir, 'lower', 'probe'));
    chmodSync(path.join(dir, 'lower', 'probe'), 0o755);
    let out = '';
    const r = await run({
      root: { kind: 'overlay', lowers: [path.join(dir, 'lower')], upper: path.join(dir, 'upper'), work: path.join(dir, 'work') },
      argv: ['/probe', '1000', '1000', '-', '/not-there'],
      env: {},
      timeoutMs: 30_000,
      onOutput: (c) => (out += c.toString('utf8')),
    });
    const ran = r.exitCode === 127 && out.includes('cannot execute /not-there');
    const captured = readdirSync(path.join(dir, 'upper'));
    const ok = ran && captured.length === 0;
    return check('sandbox', true, ok, ok ? 'overlay + bubblewrap + identity id map work' : `probe said: ${out.trim() || `exit ${r.exitCode}`}${captured.length ? `; captured ${captured.join(', ')}` : ''}`, fix);
  } catch (e) {
    return check('sandbox', true, false, isStrataError(e) ? e.message : String(e), fix);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function diskCheck(storeDir: string, minFree: number): DoctorCheck {
  let p = path.resolve(storeDir);
  while (!existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  try {
    const s = statfsSync(p);
    const free = s.bavail * s.bsize;
    return check('free disk', true, free >= minFree, `${gib(free)} free under ${p} (need ${gib(minFree)})`, `free space on the file system of ${p} or use --store on a larger one`);
  } catch (e) {
    return check('free disk', true, false, `cannot stat ${p}: ${(e as Error).message}`, 'give a --store on a mounted file system');
  }
}

function mkTemp(): string {
  const d = path.join(os.tmpdir(), `strata-doctor-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(d);
  return d;
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

function readNumber(f: string): number | undefined {
  const t = safeRead(f).trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}
