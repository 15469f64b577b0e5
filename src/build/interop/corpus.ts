/**
 * The buildah interop corpus (testdata/buildah-corpus/<case>/: a heredoc-free
 * Containerfile on `stagex/core-busybox` plus its context files): copy a case into a
 * package directory with context modes normalised the way strata normalises them
 * (0644/0755 by the execute bit, directories 0755), so both builders see the same bytes
 * and modes and the comparison tests the builders, not the checkout.
 */
import { chmodSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const FLAGS_DIRECTIVE = /^#\s*buildah-flags:(.*)$/;
const ALLOWED_FLAGS = new Set(['--layers']);

/**
 * Extra buildah flags a case asks for with a `# buildah-flags: --layers` comment line
 * (only flags that change how buildah commits layers are allowed; docs/adr/0130).
 */
export function buildahFlags(containerfile: string): string[] {
  const out: string[] = [];
  for (const line of containerfile.split('\n')) {
    const m = FLAGS_DIRECTIVE.exec(line.trim());
    if (!m) continue;
    for (const f of m[1]!.trim().split(/\s+/).filter(Boolean)) {
      if (!ALLOWED_FLAGS.has(f)) throw new Error(`buildah-flags: ${f} is not allowed (allowed: ${[...ALLOWED_FLAGS].join(', ')})`);
      out.push(f);
    }
  }
  return out;
}

/** Case names (directory names), sorted. */
export function corpusCases(corpusDir: string): string[] {
  return readdirSync(corpusDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** chmod every file to 0644/0755 (by its owner execute bit) and every directory to 0755. */
export function normaliseModes(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      chmodSync(p, 0o755);
      normaliseModes(p);
    } else {
      chmodSync(p, st.mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/**
 * A case's known, not yet fixed strata divergences: `open-differences.txt`, one comparison
 * line (`path: what`) per line, `#` comments. The test requires the real differences to be
 * exactly these, so a fix (or a new divergence) makes it fail until the file is updated.
 */
export const OPEN_DIFFERENCES = 'open-differences.txt';

export function openDifferences(corpusDir: string, name: string): string[] {
  const file = path.join(corpusDir, name, OPEN_DIFFERENCES);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Copy case `name` (its Containerfile and context) into `dest`, symlinks kept as symlinks. */
export function copyCase(corpusDir: string, name: string, dest: string): void {
  const caseDir = path.join(corpusDir, name);
  cpSync(caseDir, dest, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== path.join(caseDir, OPEN_DIFFERENCES) });
  normaliseModes(dest);
  chmodSync(dest, 0o755);
}
