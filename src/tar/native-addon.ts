/**
 * Loading of strata's native addons — the layer compressors' and the sandbox's xattr addon
 * (native/build/Release/*.node, built by node-gyp): one place that knows where they are
 * and what a missing one means. Each addon is loaded once per thread (a worker thread
 * loads its own copy).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FailureKind, StrataError } from '../errors.js';

/** Where node-gyp puts the built addons. */
export const NATIVE_RELEASE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release');

export interface NativeAddonSpec<T> {
  /** File name in NATIVE_RELEASE_DIR, e.g. 'strata_zstd.node'. */
  readonly file: string;
  /** What it is, for the message: '<what> is not built (looked in …)'. */
  readonly what: string;
  /** The error when the file is not there. */
  readonly missingCode: string;
  readonly missingHint: string;
  readonly missingKind: FailureKind;
  /** Checks the loaded addon (e.g. its version) and throws when it must not be used. */
  readonly check?: (loaded: T) => void;
  /** Default NATIVE_RELEASE_DIR (tests name another). */
  readonly dir?: string;
}

/** A function returning the addon, loading and checking it on the first call. */
export function nativeAddonLoader<T>(spec: NativeAddonSpec<T>): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    const dir = spec.dir ?? NATIVE_RELEASE_DIR;
    const file = path.join(dir, spec.file);
    if (!existsSync(file)) {
      throw new StrataError(spec.missingCode, `${spec.what} is not built (looked in ${dir})`, { hint: spec.missingHint, kind: spec.missingKind });
    }
    const addon = createRequire(import.meta.url)(file) as T;
    spec.check?.(addon);
    loaded = addon;
    return loaded;
  };
}
