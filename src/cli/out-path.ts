/**
 * The check every output-path option runs before anything is created (docs/adr/0177):
 * `policy --out`, `sign --signatures`, `publish --lookaside`, `fetch --export/--cache`,
 * `pull --store`, … Node 20's `mkdir({recursive: true})` never returns for a path under
 * /proc (the kernel answers ENOENT for the child while the parent exists, and Node retries
 * forever), and a path under a regular file or in a directory strata cannot write would
 * otherwise fail half-way through. Each is one input error located at the path, naming the
 * option, with a hint.
 */
import { accessSync, constants, realpathSync, statfsSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';

/** Kernel pseudo-file systems (statfs f_type, linux/magic.h): they hold no files strata could write. */
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x1cd1, 'devpts'],
  [0x42494e4d, 'binfmt_misc'],
  [0xf97cff8c, 'selinuxfs'],
  [0xde5e81e4, 'efivarfs'],
]);

/** /proc and /sys by place, whatever is mounted there (a tmpfs on /sys/fs/cgroup, say). */
const PSEUDO_ROOTS = ['/proc', '/sys'];

export interface OutputPathOptions {
  /** Replaces the default hint (say what the option takes). */
  readonly hint?: string;
}

/** The kernel pseudo-file system `dir` (a real path) is on, if it is on one. */
export function pseudoFileSystemOf(dir: string): string | undefined {
  const root = PSEUDO_ROOTS.find((r) => dir === r || dir.startsWith(`${r}/`));
  if (root !== undefined) return root.slice(1);
  try {
    return PSEUDO_FILE_SYSTEMS.get(Number(statfsSync(dir).type));
  } catch {
    return undefined;
  }
}

/**
 * Throw an input error unless strata can create or write `resolved` as a `kind` (a
 * directory, created with its parents if missing, or a file): the path, or its deepest
 * existing ancestor, must be of the right type, on a real file system, and writable.
 * `shown` is the path as the user wrote it (the error's location). Creates nothing.
 */
export function checkOutputPath(option: string, shown: string, resolved: string, kind: 'dir' | 'file', opts: OutputPathOptions = {}): void {
  const fail = (code: string, why: string, hint: string): never => {
    throw new StrataError(`cli/${code}`, `${option}: ${why}`, { location: { file: shown }, hint: opts.hint ?? hint });
  };
  const what = kind === 'dir' ? 'a directory' : 'a file';
  const absolute = path.resolve(resolved);
  let existing = absolute;
  let st: Stats | undefined;
  while (st === undefined) {
    try {
      st = statSync(existing);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && path.dirname(existing) !== existing) {
        existing = path.dirname(existing);
        continue;
      }
      if (code === 'ENOTDIR') return fail('not-a-directory', 'a file is in the way (a parent of this path is a file, not a directory)', `give ${option} ${what} whose parents are directories`);
      if (code === 'EACCES') return fail('unwritable-output', 'permission denied on a parent directory', `give ${option} ${what} you may write`);
      if (code === 'ELOOP') return fail('unusable-path', 'too many levels of symbolic links', `check the path given to ${option}`);
      if (code === 'ENAMETOOLONG') return fail('unusable-path', 'the path is too long', `give ${option} a shorter path`);
      return fail('unusable-path', `cannot use this path (${code ?? (e as Error).message})`, `check the path given to ${option} and its permissions`);
    }
  }
  if (existing === absolute) {
    if (kind === 'dir' && !st.isDirectory()) fail('not-a-directory', 'not a directory', `${option} takes a directory (it is created if missing)`);
    if (kind === 'file' && st.isDirectory()) fail('not-a-file', 'a directory, where a file is needed', `${option} takes a file`);
  } else if (!st.isDirectory()) {
    fail('not-a-directory', `a file is in the way (${existing} is not a directory)`, `give ${option} ${what} whose parents are directories`);
  }
  const real = realpathSync(existing);
  const pseudo = pseudoFileSystemOf(real);
  if (pseudo !== undefined) {
    fail('unwritable-output', `${real} is on ${pseudo}, a kernel pseudo-file system, not storage`, `give ${option} ${what} on a real file system`);
  }
  const dir = st.isDirectory() ? existing : path.dirname(existing);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    if (!st.isDirectory()) accessSync(existing, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(
      'unwritable-output',
      code === 'EROFS' ? `${dir} is on a read-only file system` : `cannot write in ${dir} (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code})`,
      `give ${option} ${what} you may write`,
    );
  }
}
