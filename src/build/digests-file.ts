/**
 * Writing `digests/<stage>.txt` (DESIGN §2): one line per image, `<64 hex> <stage>-<name>`,
 * sorted by name, single space. Only the built image's line changes. Writers in one
 * process are serialised by a queue, writers in different processes by a lock file
 * `digests/.<stage>.txt.lock` (ADR 0137); under it the file is re-read, changed, written
 * to a temp file, fsync'd and renamed, so two builds never lose each other's lines and a
 * killed build never leaves a torn file. Temp files of dead writers are removed under
 * the lock.
 *
 * The lock file is written complete under a temp name and then hard-linked into place
 * (link fails if the lock exists), so nobody ever sees an empty lock and mistakes a
 * lock being created for one left by a crash. A lock whose owner is a dead process on
 * this host is broken as in ADR 0055.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { compareUtf8 } from '../oci/canonical-json.js';
import { replaceFileAtomically } from '../store/atomic-file.js';
import { acquireLock, pidAlive } from '../store/lock.js';

const LINE = /^([0-9a-f]{64}) (\S+)$/;
const queues = new Map<string, Promise<void>>();

/** The new text of a digests file with `image`'s line set to `hex`. Pure. */
export function setDigestLine(text: string, image: string, hex: string): string {
  const lines = new Map<string, string>();
  for (const l of text.split('\n')) {
    const m = LINE.exec(l.trim());
    if (m) lines.set(m[2]!, m[1]!);
  }
  lines.set(image, hex);
  return [...lines].sort((a, b) => compareUtf8(a[0], b[0])).map(([n, h]) => `${h} ${n}\n`).join('');
}

/** The lock file guarding `digests/<stage>.txt` across processes. */
export function digestsLockPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lock`);
}

/**
 * The pid in a temp file of the digests file `base`: `<base>.<pid>-<hex>.tmp` (a rewrite),
 * `.<base>.lock.<pid>-<hex>.tmp` or `….stale` (lock taking/breaking); else undefined. Pure.
 */
export function digestsTempOwner(base: string, name: string): number | undefined {
  for (const prefix of [`${base}.`, `.${base}.lock.`]) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]+\.(?:tmp|stale)$/.exec(name.slice(prefix.length));
    if (m) return Number(m[1]);
  }
  return undefined;
}

async function removeDeadTemps(file: string): Promise<void> {
  const base = path.basename(file);
  for (const n of await readdir(path.dirname(file))) {
    const pid = digestsTempOwner(base, n);
    if (pid !== undefined && !pidAlive(pid)) await unlink(path.join(path.dirname(file), n)).catch(() => undefined);
  }
}

/** Take `lock` (waiting up to `timeoutMs`); resolves to its release function. */
export function lockDigestsFile(lock: string, timeoutMs = 120_000): Promise<() => Promise<void>> {
  // the store's lock (written complete, then linked into place), with temp names beside the
  // digests file that digestsTempOwner recognises
  return acquireLock(lock, {
    scratchDir: path.dirname(lock),
    timeoutMs,
    tempPath: (kind) => `${lock}.${process.pid}-${randomBytes(4).toString('hex')}.${kind}`,
    heldCode: 'build/digests-locked',
    heldHint: 'wait for the other strata build to finish; if none is running, delete the lock file',
  });
}

/** Replace `file` (temp name beside it, as digestsTempOwner knows it; no directory fsync, as before). */
function writeAtomically(file: string, text: string): Promise<void> {
  return replaceFileAtomically(file, text, { tmp: `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp` });
}

/**
 * True when `text` already holds exactly the line `<hex> <image>` and no other line for
 * `image`, so setting it would change nothing. Pure; cheap enough to run per image on a
 * file of hundreds of lines (two substring searches, no parse).
 */
export function hasDigestLine(text: string, image: string, hex: string): boolean {
  const line = `${hex} ${image}\n`;
  const at = text.startsWith(line) ? 0 : text.indexOf(`\n${line}`) + 1;
  if (at === 0 && !text.startsWith(line)) return false;
  // no other line may name the image: the first ' <image>\n' is this line's, and the only one
  const name = ` ${image}\n`;
  const first = text.indexOf(name);
  return first === at + hex.length && text.indexOf(name, first + 1) < 0;
}

/** The text of each digests file as last read, with the identity (inode, size, mtime, ctime) it had. */
const lastRead = new Map<string, { readonly key: string; readonly text: string }>();

/**
 * The current text of `file` (undefined if it cannot be read), re-read only when its
 * identity changed: a no-change rebuild of hundreds of images of one stage reads its
 * digests file once, not once per image. Every rewrite is a rename, so a change is seen.
 */
function readCurrent(file: string): string | undefined {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st) return undefined;
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const hit = lastRead.get(file);
  if (hit?.key === key) return hit.text;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const s2 = fstatSync(fd, { bigint: true });
    const text = readFileSync(fd, 'utf8');
    lastRead.set(file, { key: `${s2.dev}:${s2.ino}:${s2.size}:${s2.mtimeNs}:${s2.ctimeNs}`, text });
    return text;
  } finally {
    closeSync(fd);
  }
}

export async function updateDigestsFile(treeRoot: string, stage: string, image: string, hex: string): Promise<string> {
  const file = path.join(treeRoot, 'digests', `${stage}.txt`);
  const prev = queues.get(file) ?? Promise.resolve();
  const next = prev.then(async () => {
    // a line that is already right needs no lock and no write (a no-change rebuild)
    const current = readCurrent(file);
    if (current !== undefined && hasDigestLine(current, image, hex)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const release = await lockDigestsFile(digestsLockPath(file));
    try {
      await removeDeadTemps(file);
      const old = await readFile(file, 'utf8').catch(() => '');
      const text = setDigestLine(old, image, hex);
      if (text !== old) await writeAtomically(file, text);
    } finally {
      await release();
    }
  });
  queues.set(file, next.catch(() => undefined));
  await next;
  return file;
}
