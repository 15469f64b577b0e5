/**
 * Loading what trust needs from a tree (I/O edge): the namespace and threshold from
 * strata.toml, MAINTAINERS, the maintainers' public keys (keys/*.asc or one keyring file),
 * and the image digests from digests/*.txt.
 *
 * strata.toml is read by the tree loader (src/tree/load.ts); trust uses `namespace` and
 * `threshold` from it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { parseMaintainers, type Maintainers } from './maintainers.js';
import { parseDigestsFile, type DigestEntry } from './digests-file.js';
import { buildKeyring, readPublicKeys, type Keyring, type PublicKey } from './openpgp.js';
import { loadConfig } from '../tree/load.js';
import { closeMatches } from '../tree/close-matches.js';

export interface TrustConfig {
  readonly namespace: string;
  readonly threshold: number;
}

/** The user-visible form of a path inside the tree. */
export function shown(root: string, ...parts: string[]): string {
  return path.join(root, ...parts);
}

/** Namespace and threshold from strata.toml, through the tree loader (which validates the file). */
export async function readTrustConfig(root: string): Promise<TrustConfig> {
  const config = loadConfig(root);
  return { namespace: config.namespace, threshold: config.threshold };
}

/** `<root>/MAINTAINERS`, or `overrideFile` (e.g. demo maintainers) when given. */
export async function readMaintainersFile(root: string, overrideFile?: string): Promise<Maintainers> {
  const file = overrideFile ?? shown(root, 'MAINTAINERS');
  let text: string;
  try {
    text = await fs.readFile(overrideFile ?? path.join(root, 'MAINTAINERS'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StrataError('trust/no-maintainers', overrideFile ? 'no such MAINTAINERS file' : 'the tree has no MAINTAINERS file', {
        location: { file },
        hint: 'add [people.<handle>] and [keys.<handle>.<label>] tables naming each maintainer and key fingerprint',
      });
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES') {
      throw new StrataError('trust/unreadable', `cannot read the MAINTAINERS file (${code})`, {
        location: { file },
        hint: overrideFile ? 'give --maintainers the path of a readable MAINTAINERS file' : 'MAINTAINERS at the tree root must be a readable file',
      });
    }
    throw new StrataError('trust/unreadable', `cannot read: ${(e as Error).message}`, { location: { file }, kind: 'io', hint: 'check the file and the disk' });
  }
  const m = parseMaintainers(text, file);
  if (m.keys.length === 0) {
    throw new StrataError('trust/no-maintainer-keys', 'MAINTAINERS lists no keys', {
      location: { file },
      hint: 'add a [keys.<handle>.<label>] table with ID = <fingerprint> for each maintainer',
    });
  }
  return m;
}

export interface LoadedKeys {
  /** Every key read (maintainers or not); quorum decides who counts. */
  readonly keyring: Keyring;
  /** MAINTAINERS fingerprints with no public key available. */
  readonly missing: readonly string[];
}

/** Keys from `keyringFile` if given, else every `<tree>/keys/*.asc` (sorted by name). */
export async function loadKeys(root: string, maintainers: Maintainers, keyringFile?: string): Promise<LoadedKeys> {
  const keys: PublicKey[] = [];
  if (keyringFile !== undefined) {
    keys.push(...(await readPublicKeys(await readCapped(keyringFile, keyringFile), keyringFile)));
  } else {
    const dir = path.join(root, 'keys');
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => n.endsWith('.asc')).sort();
    } catch {
      names = [];
    }
    if (names.length === 0) {
      throw new StrataError('trust/no-keys', 'no public keys: the tree has no keys/*.asc', {
        location: { file: shown(root, 'keys') },
        hint: "export each maintainer's key with 'gpg --export --armor FPR > keys/<handle>.asc', or pass --keyring FILE",
      });
    }
    for (const n of names) {
      const file = path.join(dir, n);
      keys.push(...(await readPublicKeys(await readCapped(file, shown(root, 'keys', n)), shown(root, 'keys', n))));
    }
  }
  const keyring = await buildKeyring(keys);
  const missing = maintainers.keys.filter((k) => !keyring.get(k.fingerprint)).map((k) => k.fingerprint);
  return { keyring, missing };
}

const MAX_KEY_FILE_BYTES = 16 * 1024 * 1024;

async function readCapped(file: string, display: string): Promise<Uint8Array> {
  try {
    const st = await fs.stat(file);
    if (st.size > MAX_KEY_FILE_BYTES) {
      throw new StrataError('trust/bad-keyring', `key file is ${st.size} bytes, more than ${MAX_KEY_FILE_BYTES}`, {
        location: { file: display },
        hint: 'export only the maintainers’ public keys (gpg --export FPR…)',
      });
    }
    return new Uint8Array(await fs.readFile(file));
  } catch (e) {
    if (e instanceof StrataError) throw e;
    throw new StrataError('trust/bad-keyring', `cannot read: ${(e as Error).message}`, {
      location: { file: display },
      hint: 'check the path given to --keyring',
    });
  }
}

/** Every `digests/*.txt` entry, sorted by image name. */
export async function readAllDigests(root: string): Promise<DigestEntry[]> {
  const dir = path.join(root, 'digests');
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.txt')).sort();
  } catch {
    names = [];
  }
  if (names.length === 0) {
    throw new StrataError('trust/no-digests', 'the tree has no digests/*.txt', {
      location: { file: shown(root, 'digests') },
      hint: 'build the tree first (it writes digests/<stage>.txt), or check --tree',
    });
  }
  const out: DigestEntry[] = [];
  const where = new Map<string, string>();
  for (const n of names) {
    const stage = n.slice(0, -'.txt'.length);
    const file = shown(root, 'digests', n);
    const entries = parseDigestsFile(await fs.readFile(path.join(dir, n), 'utf8'), file, stage);
    for (const e of entries) {
      const prev = where.get(e.image);
      if (prev) {
        throw new StrataError('trust/digests-duplicate', `image '${e.image}' is also listed in ${prev}`, {
          location: e.location,
          hint: 'keep one digest per image',
        });
      }
      where.set(e.image, file);
      out.push(e);
    }
  }
  return out.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

/** Where the trust material comes from: the tree's, unless the files are given (--maintainers, --keyring). */
export interface TrustFiles {
  /** A MAINTAINERS file instead of <tree>/MAINTAINERS. */
  readonly maintainersFile?: string;
  /** One keyring file (armored or binary) instead of <tree>/keys/*.asc. */
  readonly keyringFile?: string;
}

export interface TrustMaterial {
  readonly config: TrustConfig;
  /** The threshold asked for, else strata.toml's. */
  readonly threshold: number;
  readonly maintainers: Maintainers;
  readonly keyring: Keyring;
  /** One line each: MAINTAINERS keys with no public key, a threshold no image can reach. */
  readonly warnings: readonly string[];
}

/**
 * Everything a quorum check needs, loaded the same way for check, status, publish and pull:
 * strata.toml, MAINTAINERS (or `files.maintainersFile`), the keys (or `files.keyringFile`).
 */
export async function loadTrustMaterial(tree: string, files: TrustFiles = {}, threshold?: number): Promise<TrustMaterial> {
  const config = await readTrustConfig(tree);
  const wanted = threshold ?? config.threshold;
  const maintainers = await readMaintainersFile(tree, files.maintainersFile);
  const { keyring, missing } = await loadKeys(tree, maintainers, files.keyringFile);
  const warnings: string[] = missing.map((f) => {
    const k = maintainers.keys.find((x) => x.fingerprint === f)!;
    return `no public key for [keys.${k.handle}.${k.label}] ${f.toUpperCase()}: its signatures cannot count`;
  });
  const handles = new Set(maintainers.keys.map((k) => k.handle));
  if (wanted > handles.size) {
    warnings.push(`threshold ${wanted} is more than the ${handles.size} maintainers with keys: no image can pass`);
  }
  return { config, threshold: wanted, maintainers, keyring, warnings };
}

/**
 * The entries of digests/*.txt for the named images (in the order named, each once), or all
 * of them: check, publish and push select their images this way.
 */
export function selectRecordedImages(all: readonly DigestEntry[], images: readonly string[] | 'all', command: string): DigestEntry[] {
  if (images === 'all') return [...all];
  if (images.length === 0) {
    throw new StrataError('cli/usage', `${command}: name the images to ${command}, or pass --all`, { hint: `run 'strata ${command} --help'` });
  }
  const byName = new Map(all.map((e) => [e.image, e]));
  const out: DigestEntry[] = [];
  for (const name of images) {
    const e = byName.get(name);
    if (!e) {
      const near = closeMatches(name, byName.keys());
      throw new StrataError('trust/unknown-image', `no digest recorded for image '${name}'`, {
        hint: `${near.length ? `did you mean ${near.join(', ')}? ` : ''}image names are <stage>-<name> as listed in digests/<stage>.txt; build the image and record its digest first`,
      });
    }
    if (!out.includes(e)) out.push(e);
  }
  return out;
}
