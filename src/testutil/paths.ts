import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root, found from this compiled file's location (dist/testutil/). */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A path under testdata/. */
export function testdata(...parts: string[]): string {
  return path.join(repoRoot, 'testdata', ...parts);
}

/** The compiled CLI entry point, for tests that spawn `node <cli>`. */
export const cliPath: string = path.join(repoRoot, 'dist', 'cli', 'main.js');
