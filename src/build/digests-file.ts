/**
 * Writing `digests/<stage>.txt` (DESIGN §2): one line per image, `<64 hex> <stage>-<name>`,
 * sorted by name, single space. Only the built image's line changes; the file is
 * rewritten atomically (temp file + rename), and writers in one process are serialised.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareUtf8 } from '../oci/canonical-json.js';

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

export async function updateDigestsFile(treeRoot: string, stage: string, image: string, hex: string): Promise<string> {
  const file = path.join(treeRoot, 'digests', `${stage}.txt`);
  const prev = queues.get(file) ?? Promise.resolve();
  const next = prev.then(async () => {
    await mkdir(path.dirname(file), { recursive: true });
    const old = await readFile(file, 'utf8').catch(() => '');
    const text = setDigestLine(old, image, hex);
    if (text === old) return;
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  });
  queues.set(file, next.catch(() => undefined));
  await next;
  return file;
}
