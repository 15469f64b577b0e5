/**
 * What an existing directory given as a store or an export target may hold (ADR 0173),
 * checked before anything is written: a store option takes an existing strata store (an
 * OCI layout) or a new or empty directory — never a non-empty directory of something
 * else, which `strata build` would otherwise fill with blobs/ and index.json; `export
 * --oci` takes a new or empty directory only. Type, kernel-file-system and writability
 * checks are the CLI's (cli/out-path.ts).
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, LOCK_FILE, TMP_DIR } from '../store/paths.js';

/**
 * The entries a store has while another process is still creating it (OciStore.open makes
 * blobs/ and tmp/, then index.json under the lock, oci-layout last) or after such a
 * creation was killed: such a directory is a store in the making, not foreign files.
 */
const STORE_OWN_NAMES = new Set([BLOBS_DIR.split(path.sep)[0]!, TMP_DIR, INDEX_FILE, LOCK_FILE, LAYOUT_FILE]);

/** `contents`: 'store' (an OCI layout or nothing) or 'empty'. A missing directory passes. */
export function checkDirContents(option: string, shown: string, resolved: string, contents: 'store' | 'empty'): void {
  let names: string[];
  try {
    names = readdirSync(resolved);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new StrataError('build/path-unusable', `${option}: cannot list this directory (${code ?? (e as Error).message})`, {
      location: { file: shown }, hint: `check the directory given to ${option} and its permissions`, kind: 'input',
    });
  }
  if (names.length === 0) return;
  let layout = false;
  try {
    layout = lstatSync(path.join(resolved, LAYOUT_FILE)).isFile();
  } catch {
    layout = false;
  }
  if (contents === 'empty') {
    throw new StrataError('build/path-not-empty', `${option}: ${layout ? 'already holds an OCI image layout' : 'not empty and not an OCI image layout'}`, {
      location: { file: shown }, hint: `${option} takes a new or empty directory: strata does not add to or write over existing files`, kind: 'input',
    });
  }
  if (!layout && !names.every((n) => STORE_OWN_NAMES.has(n))) {
    throw new StrataError('build/path-not-a-store', `${option}: not empty and not a strata store (no oci-layout file)`, {
      location: { file: shown }, hint: `give ${option} an existing store, or a new or empty directory for a new one`, kind: 'input',
    });
  }
}
