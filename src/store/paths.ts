/** Where things are inside a store (one OCI image layout plus strata's scratch space). */
import path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { digestHex } from '../digest/digest.js';

/** `--store` default: `<tree>/.strata/store`. */
export function defaultStorePath(treeDir: string): string {
  return path.join(treeDir, '.strata', 'store');
}

export const INDEX_FILE = 'index.json';
export const LAYOUT_FILE = 'oci-layout';
export const BLOBS_DIR = path.join('blobs', 'sha256');
/** Temporary files (blob and index writes in progress), named `<pid>-<random>.<kind>`. */
export const TMP_DIR = 'tmp';
export const LOCK_FILE = 'index.json.lock';

export function blobPath(root: string, d: Digest): string {
  return path.join(root, BLOBS_DIR, digestHex(d));
}

/** The pid that wrote a temp file, from its name, or undefined. */
export function tempOwnerPid(name: string): number | undefined {
  const m = /^(\d+)-[0-9a-f]+\./.exec(name);
  return m ? Number(m[1]) : undefined;
}
