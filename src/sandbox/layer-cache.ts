/**
 * Extracted lower layers, one directory per layer digest, extracted once and reused
 * by every RUN that stacks on them (ADR 0071). Directories are created under a
 * temporary name and renamed into place only when extraction finished, so a killed
 * build never leaves a half-extracted layer under its digest; a concurrent extraction
 * of the same digest simply loses the rename and is discarded.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { StrataError } from '../errors.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/** Where the layer with `digest` lives under `cacheRoot` (whether or not it is extracted yet). */
export function layerDirPath(cacheRoot: string, digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) {
    throw new StrataError('sandbox/bad-digest', `'${digest}' is not a sha256 layer digest`, { hint: 'use sha256:<64 lowercase hex>' });
  }
  return path.join(cacheRoot, 'sha256', m[1]!);
}

/**
 * The extracted directory of a layer; `extract(dir)` fills an empty directory and is
 * called only when the layer is not cached yet.
 */
export async function ensureLayerDir(
  cacheRoot: string,
  digest: string,
  extract: (dir: string) => Promise<void>,
): Promise<string> {
  const final = layerDirPath(cacheRoot, digest);
  if (existsSync(final)) return final;
  const tmpRoot = path.join(cacheRoot, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  await mkdir(path.dirname(final), { recursive: true });
  const tmp = path.join(tmpRoot, `${path.basename(final)}-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { mode: 0o755 });
  try {
    await extract(tmp);
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(final)) return final;
    throw e;
  }
  return final;
}

/** Remove leftovers of interrupted extractions (call when no build is running on this cache). */
export async function cleanLayerTemp(cacheRoot: string): Promise<void> {
  await rm(path.join(cacheRoot, 'tmp'), { recursive: true, force: true });
}
