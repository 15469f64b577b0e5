/**
 * The `[seed]` table of a package.toml (docs/adr/0060-seed-table.md):
 *
 *   [seed]
 *   source   = "hex0.hex0"      # the commented hex0 source, beside package.toml
 *   hash     = "<64 hex>"       # sha256 of the decoded bytes
 *   file     = "hex0-seed"      # where strata puts the decoded bytes in the build context
 *   fixpoint = "/bin/hex0"      # path in the built image that must equal the seed
 *
 * `parseSeedTable` is pure; `loadSeed` reads the source, decodes it with the hex0 reader
 * and refuses a hash mismatch. Nothing else turns a seed source into bytes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { StrataError, type SourceLocation } from '../errors.js';
import { decodeHex0 } from './hex0.js';

/** At most this many decoded bytes: small enough to audit by hand. */
export const MAX_SEED_BYTES = 256;

export interface SeedSpec {
  readonly source: string;
  readonly hash: string;
  readonly file: string;
  readonly fixpoint: string;
}

export interface LoadedSeed {
  readonly spec: SeedSpec;
  /** The decoded seed: the bytes strata places at `spec.file` in the build context. */
  readonly bytes: Uint8Array;
}

const KEYS = ['source', 'hash', 'file', 'fixpoint'] as const;

/** Validate the `[seed]` table of a package.toml (text given for error locations). */
export function parseSeedTable(tomlText: string, file: string): SeedSpec | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(tomlText) as Record<string, unknown>;
  } catch (e) {
    throw new StrataError('bootstrap/seed-toml', `not valid TOML: ${(e as Error).message.split('\n')[0]}`, {
      location: { file },
      hint: 'fix the TOML syntax',
    });
  }
  const table = doc['seed'];
  if (table === undefined) return undefined;
  const at = (key?: string): SourceLocation => locate(tomlText, file, key);
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw seedError('seed-table', '[seed] must be a table', at(), 'write [seed] with source, hash, file and fixpoint');
  }
  const t = table as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw seedError('seed-unknown-key', `unknown key '${key}' in [seed]`, at(key), `the keys are ${KEYS.join(', ')}`);
    }
  }
  const values: Record<string, string> = {};
  for (const key of KEYS) {
    const v = t[key];
    if (typeof v !== 'string' || v === '') {
      throw seedError('seed-missing-key', `[seed] needs a non-empty string '${key}'`, at(v === undefined ? undefined : key), `add ${key} = "…" to [seed]`);
    }
    values[key] = v;
  }
  const spec = values as unknown as SeedSpec;
  if (!/^[0-9a-f]{64}$/.test(spec.hash)) {
    throw seedError('seed-bad-hash', 'seed hash must be 64 lower-case hex digits (sha256)', at('hash'), 'put the sha256 of the decoded seed bytes');
  }
  if (!isPlainRelative(spec.source)) {
    throw seedError('seed-bad-path', `seed source '${spec.source}' must be a relative path inside the package`, at('source'), 'name a file beside package.toml');
  }
  if (!isPlainRelative(spec.file)) {
    throw seedError('seed-bad-path', `seed file '${spec.file}' must be a relative path in the build context`, at('file'), 'use a plain name such as "hex0-seed"');
  }
  if (!spec.fixpoint.startsWith('/') || spec.fixpoint.split('/').some((p) => p === '..' || p === '.')) {
    throw seedError('seed-bad-path', `fixpoint '${spec.fixpoint}' must be an absolute path in the image`, at('fixpoint'), 'e.g. "/bin/hex0"');
  }
  return spec;
}

/** Decode and check a seed: the sha256 of the decoded bytes must equal `hash`, size ≤ 256. */
export function decodeSeed(spec: SeedSpec, sourceText: string | Uint8Array, sourceFile: string, tomlText: string, tomlFile: string): Uint8Array {
  const bytes = decodeHex0(sourceText, sourceFile);
  if (bytes.length > MAX_SEED_BYTES) {
    throw seedError('seed-too-large', `the seed decodes to ${bytes.length} bytes, more than ${MAX_SEED_BYTES}`, { file: sourceFile }, 'a seed must stay small enough to audit by hand');
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== spec.hash) {
    throw new StrataError('bootstrap/seed-hash-mismatch', `seed ${spec.source} decodes to sha256 ${actual}, not the declared ${spec.hash}`, {
      location: locate(tomlText, tomlFile, 'hash'),
      hint: 'audit the change to the seed source; only then update hash',
      kind: 'check',
    });
  }
  return bytes;
}

/** Read `<packageDir>/package.toml`; undefined when it has no [seed] table. */
export async function loadSeed(packageDir: string, displayDir = packageDir): Promise<LoadedSeed | undefined> {
  const tomlFile = path.join(displayDir, 'package.toml');
  const tomlText = await readFile(path.join(packageDir, 'package.toml'), 'utf8');
  const spec = parseSeedTable(tomlText, tomlFile);
  if (!spec) return undefined;
  const sourceFile = path.join(displayDir, spec.source);
  let source: Uint8Array;
  try {
    source = await readFile(path.join(packageDir, spec.source));
  } catch {
    throw seedError('seed-source-missing', `seed source '${spec.source}' cannot be read`, locate(tomlText, tomlFile, 'source'), 'put the hex0 source beside package.toml');
  }
  return { spec, bytes: decodeSeed(spec, source, sourceFile, tomlText, tomlFile) };
}

function isPlainRelative(p: string): boolean {
  return !p.startsWith('/') && !p.includes('\\') && p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

function seedError(code: string, message: string, location: SourceLocation, hint: string): StrataError {
  return new StrataError(`bootstrap/${code}`, message, { location, hint });
}

/** The line of `key = …` inside [seed] (or of the [seed] header), for error messages. */
function locate(text: string, file: string, key?: string): SourceLocation {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^\s*\[\s*seed\s*\]/.test(l));
  if (header < 0) return { file };
  if (key) {
    for (let i = header + 1; i < lines.length && !/^\s*\[/.test(lines[i] as string); i++) {
      const m = new RegExp(`^(\\s*)${key}\\s*=`).exec(lines[i] as string);
      if (m) return { file, line: i + 1, col: (m[1] as string).length + 1 };
    }
  }
  return { file, line: header + 1, col: 1 };
}
