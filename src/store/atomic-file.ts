/**
 * Durable, atomic file replacement: the new content is written complete to a temp file
 * (created exclusively), fsync'd and closed, and only then put in place by one rename (or,
 * for callers that must not replace, one link). A reader sees the old file or the new
 * one, never a part; after a crash the temp file is the only leftover (each caller's
 * cleanup knows its temp names). Used by the store's index.json and oci-layout, the
 * tree's digests files and the signature lookaside.
 */
import { open, rename, unlink } from 'node:fs/promises';

/**
 * Write `content` to the new file `tmp` (mode 0644; fails when it exists), fsync and close
 * it. On any failure the temp file is removed and the error rethrown.
 */
export async function writeSyncedTemp(tmp: string, content: Uint8Array | string): Promise<void> {
  const fh = await open(tmp, 'wx', 0o644);
  try {
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** fsync a directory: makes the renames and links into it so far durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface ReplaceOptions {
  /** The temp file, on the same file system as the target (a name the caller's cleanup knows). */
  readonly tmp: string;
  /** fsync this directory (the target's) after the rename, so the new name survives a crash. */
  readonly syncDir?: string;
}

/**
 * Replace `file` by `content`: writeSyncedTemp, then rename over `file` (the temp file is
 * removed when the rename fails), then fsync `syncDir` when given. Errors are the file
 * system's, unchanged: callers wrap them in their own codes.
 */
export async function replaceFileAtomically(file: string, content: Uint8Array | string, opts: ReplaceOptions): Promise<void> {
  await writeSyncedTemp(opts.tmp, content);
  try {
    await rename(opts.tmp, file);
  } catch (e) {
    await unlink(opts.tmp).catch(() => undefined);
    throw e;
  }
  if (opts.syncDir !== undefined) await fsyncDir(opts.syncDir);
}
