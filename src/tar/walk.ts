/**
 * Turn a directory on disk into TarEntry values (regular files read lazily). Used by
 * benchmarks, tests and COPY-like callers; the layer capture of RUN steps reads the
 * overlay upper directory through the sandbox module instead. Owners, modes and mtimes
 * are taken as they are (the caller normalises if it must); xattrs are not read.
 * Directory listings are sorted later by prepareEntries, so readdir order cannot leak.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { StrataError } from '../errors.js';
import type { TarEntry } from './entry.js';
import { fileSource } from './writer.js';

export async function walkDirectory(root: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  async function visit(rel: string): Promise<void> {
    const names = await readdir(rel ? path.join(root, rel) : root);
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, r);
      const st = await lstat(abs);
      const base = { path: r, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        out.push({ ...base, type: 'dir' });
        await visit(r);
      } else if (st.isFile()) {
        out.push({ ...base, type: 'file', size: st.size, content: fileSource(abs), ...(st.nlink > 1 ? { inode: `${st.dev}:${st.ino}` } : {}) });
      } else if (st.isSymbolicLink()) {
        out.push({ ...base, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFIFO()) {
        out.push({ ...base, type: 'fifo' });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = Number(st.rdev);
        const devmajor = ((rdev >> 8) & 0xfff) | ((rdev >>> 32) & ~0xfff);
        const devminor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
        out.push({ ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor, devminor });
      } else {
        throw new StrataError('tar/unsupported-file', `${abs}: sockets cannot be archived`, { hint: 'remove the socket from the tree', kind: 'build' });
      }
    }
  }
  await visit('');
  return out;
}
