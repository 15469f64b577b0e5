/**
 * Writing `digests/<stage>.txt` (DESIGN §2): one line per image, `<64 hex> <stage>-<name>`,
 * sorted by name, single space. Only the built image's line changes. Writers in one
 * process are serialised by a queue, writers in different processes by an O_EXCL lock
 * file `digests/.<stage>.txt.lock` (the store's lock protocol, ADR 0055/0137); under it
 * the file is re-read, changed, written to a temp file, fsync'd and renamed, so two
 * builds never lose each other's lines and a killed build never leaves a torn file.
 * Temp files of dead writers are removed under the lock.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { compareUtf8 } from '../oci/canonical-json.js';
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

/** The pid in a digests temp file name `<stage>.txt.<pid>-<hex>.tmp` of `base`, or undefined. Pure. */
export function digestsTempOwner(base: string, name: string): number | undefined {
  if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) return undefined;
  const m = /^(\d+)-[0-9a-f]+$/.exec(name.slice(base.length + 1, -'.tmp'.length));
  return m ? Number(m[1]) : undefined;
}

async function removeDeadTemps(file: string): Promise<void> {
  const base = path.basename(file);
  for (const n of await readdir(path.dirname(file))) {
    const pid = digestsTempOwner(base, n);
    if (pid !== undefined && !pidAlive(pid)) await unlink(path.join(path.dirname(file), n)).catch(() => undefined);
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export async function updateDigestsFile(treeRoot: string, stage: string, image: string, hex: string): Promise<string> {
  const file = path.join(treeRoot, 'digests', `${stage}.txt`);
  const prev = queues.get(file) ?? Promise.resolve();
  const next = prev.then(async () => {
    await mkdir(path.dirname(file), { recursive: true });
    const release = await acquireLock(digestsLockPath(file), { scratchDir: path.dirname(file) });
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
