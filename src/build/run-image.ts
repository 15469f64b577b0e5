/**
 * `strata run`: run a command in a built image (its layers as read-only lowers and a
 * throw-away upper directory), or in a root kept by `--keep-failed`. The image's Env,
 * WorkingDir and User apply; nothing from the host environment leaks in.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { run as sandboxRun } from '../sandbox/run.js';
import type { RunResult } from '../sandbox/types.js';
import type { OciStore } from '../store/store.js';
import { inputError } from './errors.js';
import { layerDir } from './layer.js';
import { LayeredFs } from './layered-fs.js';
import { DEFAULT_PATH } from './stage.js';
import { statePaths } from './state.js';
import { resolveIds } from './users.js';

export interface RunImageOptions {
  /** The store holding `image` (not needed with `root`). */
  readonly store?: OciStore;
  /** Image name in the store, or undefined with `root`. */
  readonly image?: string;
  /** A directory to use as the root as-is (e.g. a --keep-failed root). */
  readonly root?: string;
  /** Command; default the image's Entrypoint + Cmd. */
  readonly argv: readonly string[];
  readonly network?: boolean;
  readonly onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

function fixedEnv(): Record<string, string> {
  return { PATH: DEFAULT_PATH, HOME: '/root', TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
}

export async function runImage(o: RunImageOptions): Promise<RunResult> {
  if (o.root !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(o.root).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw inputError('build/bad-root', `${o.root} is not a directory`, 'pass the rootfs path printed by strata build --keep-failed', { file: o.root });
    if (o.argv.length === 0) throw inputError('build/no-command', 'no command to run', "give one after '--', e.g. strata run --root DIR -- /bin/sh");
    return sandboxRun({ root: { kind: 'directory', dir: o.root }, argv: o.argv, env: fixedEnv(), network: o.network ?? false, ...(o.onOutput ? { onOutput: o.onOutput } : {}) });
  }
  const name = o.image!;
  if (!o.store) throw inputError('build/no-store', `no store to find image '${name}' in`, 'pass --store DIR (or --tree DIR holding .strata/store)');
  const store = o.store;
  const desc = await store.resolveRef(name);
  if (!desc) throw new StrataError('build/unknown-image', `image '${name}' is not in the store`, { hint: `run 'strata build ${name}' first` });
  const manifest = await store.readManifest(desc.digest);
  const config = await store.readConfig(manifest.config.digest);
  const rc = config.config ?? {};
  const argv = o.argv.length ? o.argv : [...(rc.Entrypoint ?? []), ...(rc.Cmd ?? [])];
  if (argv.length === 0) throw inputError('build/no-command', `image '${name}' has no ENTRYPOINT or CMD`, "give a command after '--', e.g. strata run IMAGE -- /bin/sh -c 'ls /'");
  const state = statePaths(store.root);
  const lowers: string[] = [];
  for (const l of manifest.layers) lowers.push(await layerDir(state.layers, store, l));
  const env = fixedEnv();
  for (const e of rc.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  const ids = rc.User ? resolveIds(rc.User, new LayeredFs(lowers, `image '${name}'`), { file: name }, 'USER', () => 0) : { uid: 0, gid: 0 };
  mkdirSync(state.work, { recursive: true });
  const scratch = mkdtempSync(path.join(state.work, 'run-'));
  try {
    mkdirSync(path.join(scratch, 'upper'));
    mkdirSync(path.join(scratch, 'work'));
    return await sandboxRun({
      root: { kind: 'overlay', lowers, upper: path.join(scratch, 'upper'), work: path.join(scratch, 'work') },
      argv, env, cwd: rc.WorkingDir || '/', uid: ids.uid, gid: ids.gid, network: o.network ?? false,
      ...(o.onOutput ? { onOutput: o.onOutput } : {}),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
