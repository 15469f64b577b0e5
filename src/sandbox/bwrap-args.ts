/**
 * Pure construction of the bubblewrap command line for one RUN (ADR 0070).
 */
import { StrataError } from '../errors.js';
import type { RunSpec } from './types.js';

/** Descriptor numbers in the spawned chain (unshare → sh → bwrap). */
export const FD_INFO = 3;
export const FD_USERNS_BLOCK = 4;
export const FD_SETUP_ERRORS = 5;
export const FD_EXEC_HELPER = 6;
export const FD_SECCOMP = 7;

export const DEFAULT_HOSTNAME = 'strata';
export const MAX_ID = 65535;

/** What Docker grants a container's root by default; everything else (SYS_ADMIN above all) is dropped. */
export const ROOT_CAPABILITIES = [
  'CAP_AUDIT_WRITE',
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
] as const;

function bad(message: string, hint: string): StrataError {
  return new StrataError('sandbox/bad-spec', message, { hint });
}

/** Check a RunSpec's values; throws sandbox/bad-spec (an input error). */
export function validateSpec(spec: RunSpec): void {
  if (spec.argv.length === 0 || spec.argv[0] === '') throw bad('RUN has an empty command', 'give a command to run');
  for (const a of spec.argv) {
    if (a.includes('\0')) throw bad('a command argument contains a NUL byte', 'remove the NUL byte');
  }
  for (const [k, v] of Object.entries(spec.env)) {
    if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) {
      throw bad(`invalid environment variable name or value '${k.replace(/\0/g, '\\0')}'`, 'names must be non-empty without = or NUL');
    }
  }
  const cwd = spec.cwd ?? '/';
  if (!cwd.startsWith('/') || cwd.includes('\0')) throw bad(`working directory '${cwd}' is not absolute`, 'use an absolute WORKDIR');
  for (const [name, id] of [['uid', spec.uid ?? 0], ['gid', spec.gid ?? 0]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw bad(`${name} ${id} is outside 0..${MAX_ID}`, 'container ids are mapped 0..65535 only');
    }
  }
  const host = spec.hostname ?? DEFAULT_HOSTNAME;
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(host)) throw bad(`invalid hostname '${host}'`, 'use letters, digits, dots and dashes');
  if (spec.timeoutMs !== undefined && (!Number.isFinite(spec.timeoutMs) || spec.timeoutMs <= 0)) {
    throw bad(`timeout ${spec.timeoutMs} ms is not positive`, 'give a positive timeout or none');
  }
}

/**
 * bwrap's arguments (without the program name) for a sandbox whose root is the
 * directory `rootDir` (absolute, on the host, already mounted).
 */
export function bwrapArgs(spec: RunSpec, rootDir: string): string[] {
  const args = [
    '--unshare-user',
    '--userns-block-fd', String(FD_USERNS_BLOCK),
    '--info-fd', String(FD_INFO),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(spec.network ? [] : ['--unshare-net']),
    '--seccomp', String(FD_SECCOMP),
    '--die-with-parent',
    '--new-session',
    '--bind', rootDir, '/',
    '--proc', '/proc',
    '--dev', '/dev',
    '--hostname', spec.hostname ?? DEFAULT_HOSTNAME,
    '--chdir', spec.cwd ?? '/',
    '--clearenv',
  ];
  for (const k of Object.keys(spec.env).sort()) args.push('--setenv', k, spec.env[k]!);
  args.push('--cap-drop', 'ALL');
  for (const c of ROOT_CAPABILITIES) args.push('--cap-add', c);
  args.push(
    '--',
    `/proc/self/fd/${FD_EXEC_HELPER}`,
    String(spec.uid ?? 0),
    String(spec.gid ?? 0),
    spec.env['PWD'] === undefined ? '-' : `+${spec.env['PWD']}`,
    ...spec.argv,
  );
  return args;
}

/**
 * The shell run inside `unshare --mount --propagation private`: enter the scratch dir,
 * perform the overlay mounts (their errors go to the setup-error descriptor), then exec
 * bwrap. Positional parameters: scratch dir, mount count, (options, target)…, command….
 */
export const MOUNT_AND_EXEC_SCRIPT = [
  'cd "$1" || exit 125',
  'n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do',
  `  mount -t overlay -o "$1" strata "$2" 2>&${FD_SETUP_ERRORS} || exit 125`,
  '  shift 2; n=$((n-1))',
  'done',
  `exec ${FD_SETUP_ERRORS}>&-`,
  'umask 022',
  'exec "$@"',
].join('\n');
