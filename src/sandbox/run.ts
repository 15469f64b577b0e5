/**
 * run(spec): execute one RUN in bubblewrap (ADR 0070).
 *
 * Process chain, all started from one spawn:
 *
 *   unshare --mount --propagation private      a mount namespace nobody else sees
 *     sh -c MOUNT_AND_EXEC_SCRIPT              overlay mount(s) from short relative names
 *       bwrap --unshare-user --userns-block-fd   waits until strata writes the id maps
 *         /proc/self/fd/6 UID GID argv…       strata-exec: USER, umask, exec
 *
 * strata (real root) writes `0 0 65536` to the new user namespace's uid_map and gid_map
 * while bwrap waits, so container ids equal on-disk ids. Capabilities live in that user
 * namespace only: device nodes and mounts stay impossible, and a seccomp filter stops the
 * RUN from creating a nested user namespace in which it could mount.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, closeSync, symlinkSync, mkdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { execHelperPath } from './native.js';
import { planOverlayMounts, type OverlayMountPlan } from './overlay-plan.js';
import { bwrapArgs, FD_INFO, FD_SECCOMP, FD_SETUP_ERRORS, FD_USERNS_BLOCK, MAX_ID, MOUNT_AND_EXEC_SCRIPT, validateSpec } from './bwrap-args.js';
import { removeSandboxMountpoints } from './mountpoints.js';
import { noUserNamespaceFilter } from './seccomp.js';
import type { RunResult, RunSpec } from './types.js';

const HOST_TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ID_MAP = `0 0 ${MAX_ID + 1}\n`;

export async function run(spec: RunSpec): Promise<RunResult> {
  validateSpec(spec);
  requireRoot();
  const helper = execHelperPath();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'strata-sbx-'));
  let plan: OverlayMountPlan | undefined;
  let helperFd: number | undefined;
  try {
    let rootDir: string;
    if (spec.root.kind === 'overlay') {
      plan = planOverlayMounts({
        lowers: spec.root.lowers.map((l) => path.resolve(l)),
        upper: path.resolve(spec.root.upper),
        work: path.resolve(spec.root.work),
        ...(spec.maxLowersPerMount !== undefined ? { maxLowersPerMount: spec.maxLowersPerMount } : {}),
      });
      for (const d of plan.dirs) mkdirSync(path.join(scratch, d));
      for (const l of plan.links) symlinkSync(l.target, path.join(scratch, l.name));
      rootDir = path.join(scratch, plan.merged);
    } else {
      rootDir = path.resolve(spec.root.dir);
    }
    helperFd = openSync(helper, 'r');
    const mountArgs = (plan?.mounts ?? []).flatMap((m) => [m.options, m.target]);
    const argv = [
      '--mount', '--propagation', 'private', '--',
      '/bin/sh', '-c', MOUNT_AND_EXEC_SCRIPT, 'strata-sandbox',
      scratch, String(plan?.mounts.length ?? 0), ...mountArgs,
      'bwrap', ...bwrapArgs(spec, rootDir),
    ];
    const result = await supervise(argv, helperFd, spec);
    if (spec.root.kind === 'overlay') removeSandboxMountpoints(spec.root.lowers, spec.root.upper);
    return result;
  } finally {
    if (helperFd !== undefined) closeSync(helperFd);
    cleanScratch(scratch, plan);
  }
}

function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return;
  throw new StrataError('sandbox/not-root', 'the sandbox needs root to map container ids 0–65535 and mount overlayfs', {
    kind: 'build',
    hint: "run strata as root (e.g. in a VM or CI container); 'strata doctor' checks the host",
  });
}

interface Setup {
  childPid?: number;
  setupErrors: string;
}

function supervise(argv: string[], helperFd: number, spec: RunSpec): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn('unshare', argv, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', helperFd, 'pipe'],
      env: { PATH: HOST_TOOL_PATH },
      detached: true,
    });
    const setup: Setup = { setupErrors: '' };
    const log = spec.logFile ? createWriteStream(spec.logFile, { flags: 'a' }) : undefined;
    const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      log?.write(chunk);
      spec.onOutput?.(chunk, stream);
    };
    child.stdout!.on('data', forward('stdout'));
    child.stderr!.on('data', forward('stderr'));
    const pipes = child.stdio as unknown as ReadonlyArray<Readable | Writable | null>;
    const info = pipes[FD_INFO] as Readable;
    const block = pipes[FD_USERNS_BLOCK] as Writable;
    const setupErr = pipes[FD_SETUP_ERRORS] as Readable;
    const seccomp = pipes[FD_SECCOMP] as Writable;
    block.on('error', () => {}); // bwrap may be gone already; the exit status tells why
    seccomp.on('error', () => {});
    seccomp.end(noUserNamespaceFilter());
    setupErr.on('data', (c: Buffer) => (setup.setupErrors += c.toString('utf8')));
    let infoText = '';
    let mapped = false;
    info.on('data', (c: Buffer) => {
      if (mapped) return;
      infoText += c.toString('utf8');
      let pid: unknown;
      try {
        pid = (JSON.parse(infoText) as { 'child-pid'?: unknown })['child-pid'];
      } catch {
        return; // incomplete JSON so far
      }
      mapped = true;
      if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) {
        killGroup(child.pid);
        return;
      }
      setup.childPid = pid;
      try {
        writeFileSync(`/proc/${pid}/uid_map`, ID_MAP);
        writeFileSync(`/proc/${pid}/gid_map`, ID_MAP);
        block.end('1');
      } catch (e) {
        setup.setupErrors += `cannot write the id map of pid ${pid}: ${(e as Error).message}\n`;
        killGroup(child.pid);
      }
    });
    let timedOut = false;
    const timer =
      spec.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child.pid);
          }, spec.timeoutMs)
        : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(
        new StrataError('sandbox/spawn-failed', `cannot start the sandbox: ${e.message}`, {
          kind: 'build',
          hint: "install util-linux and bubblewrap ('apt-get install bubblewrap'); 'strata doctor' checks the host",
          cause: e,
        }),
      );
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const finish = () => {
        if (setup.childPid === undefined && !timedOut) {
          const detail = setup.setupErrors.trim();
          reject(
            new StrataError('sandbox/setup-failed', `the sandbox could not be set up${detail ? `: ${detail}` : ''}`, {
              kind: 'build',
              hint: "run 'strata doctor' to check bubblewrap, overlayfs and user namespaces",
              detail: { exitCode: code, signal },
            }),
          );
          return;
        }
        const exitCode = code ?? 128 + signalNumber(signal);
        resolve({ exitCode, signal, timedOut });
      };
      if (log) log.end(finish);
      else finish();
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  return os.constants.signals[signal] ?? 0;
}

/** Remove only what we created: never recursive, so a still-mounted overlay could not be emptied. */
function cleanScratch(scratch: string, plan: OverlayMountPlan | undefined): void {
  const quiet = (f: () => void) => {
    try {
      f();
    } catch {
      // leave it; an empty temp dir is harmless
    }
  };
  if (plan) {
    for (const l of plan.links) quiet(() => unlinkSync(path.join(scratch, l.name)));
    for (const d of plan.dirs) quiet(() => rmdirSync(path.join(scratch, d)));
  }
  quiet(() => rmdirSync(scratch));
}

