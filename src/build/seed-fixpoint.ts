/**
 * The seed fixpoint check (ADR 0060, ADR 0136): after a package with a `[seed]` table is
 * built, the file at `[seed].fixpoint` in the built image must be byte-identical to the
 * decoded seed — the seed, run on its own source in the sandbox, reproduced itself. The
 * check runs before the image is referenced in the store, so a failed fixpoint leaves no
 * image behind.
 */
import { readFileSync } from 'node:fs';
import type { SourceLocation } from '../errors.js';
import { buildError } from './errors.js';
import { resolveInRoot, type SourceFs } from './layered-fs.js';

/** Where `key = …` of the `[seed]` table is in a package.toml text (or the table header). Pure. */
export function seedKeyLocation(tomlText: string, file: string, key: string): SourceLocation {
  const lines = tomlText.split('\n');
  const header = lines.findIndex((l) => /^\s*\[\s*seed\s*\]/.test(l));
  if (header < 0) return { file };
  for (let i = header + 1; i < lines.length && !/^\s*\[/.test(lines[i]!); i++) {
    const m = /^(\s*)([A-Za-z0-9_-]+)\s*=/.exec(lines[i]!);
    if (m && m[2] === key) return { file, line: i + 1, col: m[1]!.length + 1 };
  }
  return { file, line: header + 1, col: 1 };
}

/** First differing offset of two byte strings, or -1 when they are equal. Pure. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Throw `build/seed-fixpoint` (exit 1) unless `fixpoint` in `image` (symlinks followed
 * inside the image root) is a regular file holding exactly `seed`.
 */
export function checkSeedFixpoint(image: SourceFs, imageName: string, fixpoint: string, seed: Uint8Array, location: SourceLocation): void {
  const rel = resolveInRoot(image, fixpoint, true);
  const node = rel === '' ? undefined : image.node(rel);
  const hint = 'the seed did not reproduce itself: audit the seed source and the Containerfile that rebuilds it';
  if (!node || node.kind !== 'file') {
    const what = node ? `a ${node.kind}` : 'missing';
    throw buildError('build/seed-fixpoint', `seed fixpoint ${fixpoint} in image ${imageName} is ${what}, not a file equal to the seed`, hint, location);
  }
  const got = readFileSync(node.abs);
  const at = firstDifference(got, seed);
  if (at >= 0) {
    throw buildError('build/seed-fixpoint',
      `seed fixpoint ${fixpoint} in image ${imageName} differs from the seed (${got.length} bytes vs ${seed.length}; first difference at byte ${at})`,
      hint, location);
  }
}
