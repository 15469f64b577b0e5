/**
 * `--store DIR` (else `<--tree>/.strata/store`) as the commands use it, with the checks each
 * use runs before anything is read or written (ADRs 0173, 0177): one definition, so build
 * and doctor (a store to write) and export and run (a store to read an image from) refuse
 * the same places with the same words.
 */
import path from 'node:path';
import { checkDirContents } from '../build/path-options.js';
import { defaultStorePath } from '../store/paths.js';
import { checkPathOption, stringOpt, type ParsedCommand } from './args.js';
import type { CliIO } from './io.js';
import { checkOutputPath } from './out-path.js';

/** The store directory from --store, else <--tree or cwd>/.strata/store. */
export function storeDir(p: ParsedCommand, io: CliIO): string {
  const store = stringOpt(p, 'store');
  if (store !== undefined) return path.resolve(io.cwd, store);
  return defaultStorePath(path.resolve(io.cwd, stringOpt(p, 'tree') ?? '.'));
}

/**
 * Throw an input error unless `resolved` (`shown` as the user wrote it) can be a store to
 * build into: a writable place on a real file system, and a store or a new or empty directory.
 */
export function checkStoreToWrite(shown: string, resolved: string): void {
  checkOutputPath('--store', shown, resolved, 'dir', { hint: '--store takes a writable directory for the store (created if missing)' });
  checkDirContents('--store', shown, resolved, 'store');
}

/**
 * The store an image is read from (export, run), checked: a --store given must be an existing
 * store; without --store, a --tree given must be an existing directory.
 */
export function imageStoreDir(p: ParsedCommand, io: CliIO): string {
  const storeOpt = stringOpt(p, 'store');
  const treeOpt = stringOpt(p, 'tree');
  const dir = storeDir(p, io);
  if (storeOpt !== undefined) {
    checkPathOption('--store', storeOpt, dir, 'dir', { mustExist: true, hint: '--store takes the store holding the image' });
    checkDirContents('--store', storeOpt, dir, 'store');
  } else if (treeOpt !== undefined) {
    checkPathOption('--tree', treeOpt, path.resolve(io.cwd, treeOpt), 'dir', { mustExist: true, hint: '--tree takes the tree whose .strata/store holds the image' });
  }
  return dir;
}
