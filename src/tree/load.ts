/**
 * loadTree: read strata.toml and every packages/<stage>/<name>/{package.toml,Containerfile}
 * of a tree (DESIGN §2), validate strictly, resolve version_from, expand placeholders,
 * derive build args and parse the Containerfiles.
 *
 * The file reading happens here; the checks are in small pure helpers below. Errors are
 * StrataErrors with the file:line:col of the offending key. Without keepGoing the first
 * error is thrown; with it, each failing package is left out and its error collected.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { StrataError, type SourceLocation } from '../errors.js';
import { notATreeError } from './not-a-tree.js';
import type { Containerfile } from '../containerfile/types.js';
import { findTextFrom, locateTomlKeys, type TomlPositions } from './toml-positions.js';
import { buildArgs, expandPlaceholders, versionForms, VERSION_PLACEHOLDERS } from './template.js';
import type { BinarySeed, PackageDef, SeedDef, SourceDef, Tree, TreeConfig } from './types.js';
import { closeMatches } from './close-matches.js';
import { parseSimpleToml } from './simple-toml.js';

type TomlParser = (text: string) => Record<string, unknown>;
let fullTomlParser: TomlParser | undefined;

/**
 * smol-toml, loaded on first use (its CommonJS build: one file, synchronous): most
 * package.toml files are read by parseSimpleToml, so `strata plan` rarely needs it.
 */
function parseTomlFully(text: string): Record<string, unknown> {
  fullTomlParser ??= (createRequire(import.meta.url)('smol-toml') as { parse: TomlParser }).parse;
  return fullTomlParser(text);
}

export type ContainerfileParser = (text: string, file: string) => Containerfile;

export interface LoadTreeOptions {
  /** Collect per-package errors and load the rest, instead of throwing the first. */
  readonly keepGoing?: boolean;
  /** The Containerfile parser; `false` to skip parsing (PackageDef.containerfile undefined). */
  readonly parse: ContainerfileParser | false;
}

const PACKAGE_KEYS = ['name', 'version', 'version_from', 'description', 'license', 'website', 'subpackages', 'platforms'];
const SOURCE_KEYS = ['hash', 'mirrors', 'version', 'file', 'format', 'git_sha'];
const SEED_KEYS = ['source', 'hash', 'file', 'fixpoint'];
const TOP_KEYS = ['package', 'sources', 'seed'];
const CONFIG_KEYS = ['namespace', 'source_date_epoch', 'platform', 'mirrors', 'threshold', 'seeds'];
const CONFIG_SEED_KEYS = ['path', 'sha256'];

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const HEX64_RE = /^[0-9a-fA-F]{64}$/;
const PLATFORM_RE = /^[a-z0-9_]+\/[a-z0-9_]+(\/[a-z0-9_]+)?$/;

/** A parsed TOML file with what is needed to point at its keys. */
interface TomlDoc {
  readonly file: string;
  readonly text: string;
  readonly data: Record<string, unknown>;
  readonly positions: TomlPositions;
}

function readToml(file: string, text: string = readFileSync(file, 'utf8')): TomlDoc {
  let data: Record<string, unknown>;
  try {
    data = parseSimpleToml(text) ?? parseTomlFully(text);
  } catch (e) {
    const te = e as { message?: string; line?: number; column?: number };
    const msg = (te.message ?? String(e)).split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    throw new StrataError('tree/malformed-toml', `malformed TOML: ${msg}`, {
      location: { file, ...(te.line ? { line: te.line } : {}), ...(te.column ? { col: te.column } : {}) },
      hint: 'fix the TOML syntax (https://toml.io)',
    });
  }
  // key positions are only needed for error messages: scan lazily
  let positions: TomlPositions | undefined;
  return {
    file,
    text,
    data,
    get positions(): TomlPositions {
      return (positions ??= locateTomlKeys(text));
    },
  };
}

/** Location of a dotted key path, falling back to its table, then to the file. */
function locOf(doc: TomlDoc, keyPath: string): SourceLocation {
  let p = keyPath;
  for (;;) {
    const pos = doc.positions.keys.get(p);
    if (pos) return { file: doc.file, line: pos.line, col: pos.col };
    const dot = p.lastIndexOf('.');
    if (dot < 0) return { file: doc.file, line: 1, col: 1 };
    p = p.slice(0, dot);
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function checkKeys(doc: TomlDoc, table: Record<string, unknown>, tablePath: string, allowed: readonly string[]): void {
  for (const key of Object.keys(table)) {
    if (!allowed.includes(key)) {
      const where = tablePath ? `[${tablePath}]` : 'the top level';
      const near = closeMatches(key, allowed);
      throw new StrataError('tree/unknown-key', `unknown key '${key}' in ${where}`, {
        location: locOf(doc, tablePath ? `${tablePath}.${key}` : key),
        hint: near.length ? `did you mean '${near[0]}'?` : `allowed keys: ${allowed.join(', ')}`,
      });
    }
  }
}

function typeError(doc: TomlDoc, keyPath: string, want: string): StrataError {
  return new StrataError('tree/bad-value', `'${keyPath}' must be ${want}`, {
    location: locOf(doc, keyPath),
    hint: `write ${keyPath.split('.').pop()} as ${want}`,
  });
}

function optString(doc: TomlDoc, table: Record<string, unknown>, tablePath: string, key: string): string | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw typeError(doc, `${tablePath}.${key}`, 'a string');
  return v;
}

function reqString(doc: TomlDoc, table: Record<string, unknown>, tablePath: string, key: string, what: string): string {
  const v = optString(doc, table, tablePath, key);
  if (v === undefined || v === '') {
    throw new StrataError('tree/missing-field', `[${tablePath}] has no '${key}'`, {
      location: locOf(doc, tablePath),
      hint: `add ${key} = "…" (${what})`,
    });
  }
  return v;
}

function optStringList(doc: TomlDoc, table: Record<string, unknown>, tablePath: string, key: string): string[] | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw typeError(doc, `${tablePath}.${key}`, 'an array of strings');
  }
  return v as string[];
}

function checkHash(doc: TomlDoc, keyPath: string, value: string): string {
  if (!HEX64_RE.test(value)) {
    throw new StrataError('tree/bad-hash', `'${keyPath}' is not a sha256 (64 hex digits): '${value}'`, {
      location: locOf(doc, keyPath),
      hint: 'write the sha256 of the file as 64 hex digits, without a "sha256:" prefix',
    });
  }
  return value.toLowerCase();
}

// ---------------------------------------------------------------- strata.toml

const DEFAULT_CONFIG: Omit<TreeConfig, 'file'> = {
  namespace: 'stagex',
  sourceDateEpoch: 1,
  platform: 'linux/amd64',
  mirrors: [],
  threshold: 2,
  seeds: [],
};

function intValue(doc: TomlDoc, key: string, v: unknown, min: number): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    throw typeError(doc, key, `an integer ≥ ${min}`);
  }
  return n;
}

export function loadConfig(root: string): TreeConfig {
  const file = path.join(root, 'strata.toml');
  let exists = false;
  try {
    exists = statSync(file).isFile();
  } catch {
    exists = false;
  }
  if (!exists) return { ...DEFAULT_CONFIG, file: undefined };
  const doc = readToml(file);
  const d = doc.data;
  checkKeys(doc, d, '', CONFIG_KEYS);
  const at = (k: string): Record<string, unknown> => ({ [k]: d[k] });
  const namespace = optString(doc, d, '', 'namespace') ?? DEFAULT_CONFIG.namespace;
  if (!/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/.test(namespace)) {
    throw typeError(doc, 'namespace', 'a lower-case image namespace such as "stagex"');
  }
  const platform = optString(doc, d, '', 'platform') ?? DEFAULT_CONFIG.platform;
  if (!PLATFORM_RE.test(platform)) throw typeError(doc, 'platform', 'an OCI platform such as "linux/amd64"');
  const mirrors = optStringList(doc, at('mirrors'), '', 'mirrors') ?? [];
  const sourceDateEpoch = d['source_date_epoch'] === undefined ? 1 : intValue(doc, 'source_date_epoch', d['source_date_epoch'], 0);
  const threshold = d['threshold'] === undefined ? 2 : intValue(doc, 'threshold', d['threshold'], 1);
  const seeds: BinarySeed[] = [];
  const rawSeeds = d['seeds'];
  if (rawSeeds !== undefined) {
    if (!Array.isArray(rawSeeds)) throw typeError(doc, 'seeds', 'an array of { path, sha256 } tables');
    for (const s of rawSeeds) {
      if (!isTable(s)) throw typeError(doc, 'seeds', 'an array of { path, sha256 } tables');
      checkKeys(doc, s, 'seeds', CONFIG_SEED_KEYS);
      const seedPath = reqString(doc, s, 'seeds', 'path', 'the seed file, relative to the tree root');
      const sha = checkHash(doc, 'seeds.sha256', reqString(doc, s, 'seeds', 'sha256', 'the sha256 of the seed'));
      const pos = findTextFrom(doc.text, 1, seedPath);
      seeds.push({
        path: seedPath,
        sha256: sha,
        location: pos ? { file, line: pos.line, col: pos.col } : locOf(doc, 'seeds'),
      });
    }
  }
  return { namespace, sourceDateEpoch, platform, mirrors, threshold, seeds, file };
}

// ---------------------------------------------------------------- package.toml

/** A package.toml validated, before version_from is resolved. */
interface RawPackage {
  readonly stage: string;
  readonly name: string;
  readonly id: string;
  readonly dir: string;
  readonly doc: TomlDoc;
  readonly containerfilePath: string;
  /** The Containerfile's text when it was read together with package.toml. */
  readonly containerfileText: string | undefined;
  readonly version: string | undefined;
  readonly versionFrom: string | undefined;
  readonly description: string | undefined;
  readonly license: string | undefined;
  readonly website: string | undefined;
  readonly subpackages: string[];
  readonly platforms: string[] | undefined;
  readonly sources: RawSource[];
  readonly seed: SeedDef | undefined;
}

interface RawSource {
  readonly id: string;
  readonly hash: string;
  readonly mirrors: string[];
  readonly version: string | undefined;
  readonly file: string | undefined;
  readonly format: string | undefined;
  readonly gitSha: string | undefined;
}

function readPackageToml(
  stage: string,
  name: string,
  dir: string,
  packageFile: string,
  tomlText: string,
  containerfilePath: string,
  containerfileText: string | undefined,
): RawPackage {
  const doc = readToml(packageFile, tomlText);
  const d = doc.data;
  checkKeys(doc, d, '', TOP_KEYS);
  const pkg = d['package'];
  if (!isTable(pkg)) {
    throw new StrataError('tree/missing-field', 'package.toml has no [package] table', {
      location: { file: packageFile, line: 1, col: 1 },
      hint: `add a [package] table with name = "${name}" and a version`,
    });
  }
  checkKeys(doc, pkg, 'package', PACKAGE_KEYS);
  const pkgName = reqString(doc, pkg, 'package', 'name', `the package name, "${name}"`);
  if (pkgName !== name) {
    throw new StrataError('tree/name-mismatch', `package name '${pkgName}' does not match its directory '${name}'`, {
      location: locOf(doc, 'package.name'),
      hint: `write name = "${name}" or rename the directory`,
    });
  }
  const version = optString(doc, pkg, 'package', 'version');
  const versionFrom = optString(doc, pkg, 'package', 'version_from');
  if (version !== undefined && versionFrom !== undefined) {
    throw new StrataError('tree/bad-value', "[package] has both 'version' and 'version_from'", {
      location: locOf(doc, 'package.version_from'),
      hint: 'keep one of them',
    });
  }
  if ((version === undefined || version === '') && versionFrom === undefined) {
    throw new StrataError('tree/missing-field', "[package] has no 'version' (nor 'version_from')", {
      location: locOf(doc, 'package'),
      hint: 'add version = "…" or version_from = "<stage>-<name>"',
    });
  }
  const subpackages = optStringList(doc, pkg, 'package', 'subpackages') ?? [];
  const seenSub = new Set<string>();
  for (const s of subpackages) {
    if (!NAME_RE.test(s)) throw typeError(doc, 'package.subpackages', 'a list of lower-case names');
    if (seenSub.has(s)) {
      throw new StrataError('tree/bad-value', `subpackage '${s}' is listed twice`, {
        location: locOf(doc, 'package.subpackages'),
        hint: 'list each subpackage once',
      });
    }
    seenSub.add(s);
  }
  const platforms = optStringList(doc, pkg, 'package', 'platforms');
  for (const p of platforms ?? []) {
    if (!PLATFORM_RE.test(p)) throw typeError(doc, 'package.platforms', 'a list of OCI platforms such as "linux/amd64"');
  }

  const sources: RawSource[] = [];
  const rawSources = d['sources'];
  if (rawSources !== undefined && !isTable(rawSources)) throw typeError(doc, 'sources', 'tables [sources.<id>]');
  for (const [id, s] of Object.entries(rawSources ?? {})) {
    const tp = `sources.${id}`;
    if (!isTable(s)) throw typeError(doc, tp, `a table [${tp}]`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) {
      throw new StrataError('tree/bad-value', `source id '${id}' is not usable as a build arg name`, {
        location: locOf(doc, tp),
        hint: 'use letters, digits, - and _ in source ids',
      });
    }
    checkKeys(doc, s, tp, SOURCE_KEYS);
    const hash = checkHash(doc, `${tp}.hash`, reqString(doc, s, tp, 'hash', 'the sha256 of the downloaded file'));
    const mirrors = optStringList(doc, s, tp, 'mirrors');
    if (mirrors === undefined || mirrors.length === 0) {
      throw new StrataError('tree/missing-field', `[${tp}] has no 'mirrors'`, {
        location: locOf(doc, tp),
        hint: 'add mirrors = ["https://…/{file}"] (tried in order)',
      });
    }
    sources.push({
      id,
      hash,
      mirrors,
      version: optString(doc, s, tp, 'version'),
      file: optString(doc, s, tp, 'file'),
      format: optString(doc, s, tp, 'format'),
      gitSha: optString(doc, s, tp, 'git_sha'),
    });
  }

  let seed: SeedDef | undefined;
  const rawSeed = d['seed'];
  if (rawSeed !== undefined) {
    if (!isTable(rawSeed)) throw typeError(doc, 'seed', 'a table [seed]');
    checkKeys(doc, rawSeed, 'seed', SEED_KEYS);
    const source = reqString(doc, rawSeed, 'seed', 'source', 'the commented hex file, relative to the package');
    const hash = checkHash(doc, 'seed.hash', reqString(doc, rawSeed, 'seed', 'hash', 'the sha256 of the decoded seed'));
    const file = reqString(doc, rawSeed, 'seed', 'file', 'the name of the decoded seed in the build context');
    for (const [k, v] of [['source', source], ['file', file]] as const) {
      if (path.isAbsolute(v) || v.split(/[\\/]/).includes('..')) {
        throw new StrataError('tree/bad-value', `[seed] ${k} '${v}' leaves the package directory`, {
          location: locOf(doc, `seed.${k}`),
          hint: 'use a relative path without ".."',
        });
      }
    }
    seed = { source, hash, file, fixpoint: optString(doc, rawSeed, 'seed', 'fixpoint'), location: locOf(doc, 'seed') };
  }

  return {
    stage,
    name,
    id: `${stage}-${name}`,
    dir,
    doc,
    containerfilePath,
    containerfileText,
    version,
    versionFrom,
    description: optString(doc, pkg, 'package', 'description'),
    license: optString(doc, pkg, 'package', 'license'),
    website: optString(doc, pkg, 'package', 'website'),
    subpackages,
    platforms,
    sources,
    seed,
  };
}

/** Expand one templated value of a source, or throw with the placeholder's location. */
function expandAt(
  doc: TomlDoc,
  keyPath: string,
  template: string,
  values: Readonly<Record<string, string | undefined>>,
): string {
  const r = expandPlaceholders(template, values);
  if (r.ok) return r.value;
  const keyLoc = locOf(doc, keyPath);
  const pos = findTextFrom(doc.text, keyLoc.line ?? 1, `{${r.placeholder}}`);
  const location = pos ? { file: doc.file, line: pos.line, col: pos.col } : keyLoc;
  const known = Object.keys(values);
  if (r.reason === 'unknown') {
    const near = closeMatches(r.placeholder, known);
    throw new StrataError('tree/unknown-placeholder', `unknown placeholder '{${r.placeholder}}' in ${keyPath}`, {
      location,
      hint: near.length ? `did you mean '{${near[0]}}'?` : `known placeholders: ${known.map((k) => `{${k}}`).join(' ')}`,
    });
  }
  throw new StrataError('tree/unknown-placeholder', `placeholder '{${r.placeholder}}' in ${keyPath} has no value`, {
    location,
    hint: r.placeholder === 'format' ? `add format = "…" to [${keyPath.split('.').slice(0, 2).join('.')}]` : 'set the value it refers to',
  });
}

function expandSources(raw: RawPackage, version: string): SourceDef[] {
  return raw.sources.map((s): SourceDef => {
    const tp = `sources.${s.id}`;
    const sv = s.version ?? version;
    const values: Record<string, string | undefined> = { ...versionForms(sv), format: s.format };
    let file: string;
    if (s.file !== undefined) {
      file = expandAt(raw.doc, `${tp}.file`, s.file, values);
    } else {
      if (s.mirrors.some((m) => m.includes('{file}'))) {
        throw new StrataError('tree/missing-field', `[${tp}] uses {file} in mirrors but has no 'file'`, {
          location: locOf(raw.doc, tp),
          hint: 'add file = "<name>-{version}.tar.gz"',
        });
      }
      const first = expandAt(raw.doc, `${tp}.mirrors`, s.mirrors[0]!, values);
      file = decodeURIComponent(first.replace(/[?#].*$/, '').split('/').pop() ?? '');
    }
    if (file === '' || file === '.' || file === '..' || file.includes('/') || file.includes('\\')) {
      throw new StrataError('tree/bad-value', `[${tp}] file name '${file}' is not a plain file name`, {
        location: locOf(raw.doc, s.file !== undefined ? `${tp}.file` : `${tp}.mirrors`),
        hint: 'set file = "<name>-{version}.<ext>" (no directories)',
      });
    }
    const mirrors = s.mirrors.map((m) => expandAt(raw.doc, `${tp}.mirrors`, m, { ...values, file }));
    return {
      id: s.id,
      version: sv,
      file,
      format: s.format,
      hash: s.hash,
      mirrors,
      gitSha: s.gitSha,
      location: headerLoc(raw.doc, tp),
    };
  });
}

/** Location of a `[table]` header: a quick search for the usual spelling, else the full scan. */
function headerLoc(doc: TomlDoc, tablePath: string): SourceLocation {
  const pos = findTextFrom(doc.text, 1, `[${tablePath}]`);
  return pos && pos.col === 1 ? { file: doc.file, line: pos.line, col: 1 } : locOf(doc, tablePath);
}

function subpackageLocations(raw: RawPackage): Record<string, SourceLocation> {
  const out: Record<string, SourceLocation> = {};
  if (raw.subpackages.length === 0) return out;
  const key = /^[ \t]*subpackages[ \t]*=/m.exec(raw.doc.text);
  const keyLoc = key ? { file: raw.doc.file, ...findTextFrom(raw.doc.text, 1, key[0])! } : locOf(raw.doc, 'package.subpackages');
  for (const s of raw.subpackages) {
    const pos = findTextFrom(raw.doc.text, keyLoc.line ?? 1, `"${s}"`) ?? findTextFrom(raw.doc.text, keyLoc.line ?? 1, `'${s}'`);
    out[s] = pos ? { file: raw.doc.file, line: pos.line, col: pos.col } : keyLoc;
  }
  return out;
}

// ---------------------------------------------------------------- the tree

/** Why `root` is not a tree: it does not exist, is not a directory, or has no packages/. */
function notATree(root: string): StrataError {
  let what = `no packages/ directory in '${root}'`;
  try {
    if (!statSync(root).isDirectory()) what = `the tree '${root}' is not a directory`;
  } catch {
    what = `the tree '${root}' does not exist`;
  }
  return notATreeError(root, what);
}

function listDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Throws `tree/missing-package-toml` or `tree/missing-containerfile` when the package
 * directory lacks one of its two files (a symlink to a file counts as a file).
 */
function checkPackageFiles(dir: string, id: string, name: string, packageFile: string, containerfilePath: string): void {
  const entries = new Set(
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || (e.isSymbolicLink() && isFile(path.join(dir, e.name))))
      .map((e) => e.name),
  );
  const hasToml = entries.has('package.toml');
  const hasCf = entries.has('Containerfile');
  if (!hasToml) {
    throw new StrataError(
      'tree/missing-package-toml',
      `package ${id} has ${hasCf ? 'a Containerfile but ' : ''}no package.toml`,
      { location: { file: dir }, hint: `add ${packageFile} with [package] name = "${name}" and a version` },
    );
  }
  if (!hasCf) {
    throw new StrataError('tree/missing-containerfile', `package ${id} has a package.toml but no Containerfile`, {
      location: { file: dir },
      hint: `add ${containerfilePath}`,
    });
  }
}

/** Load and validate a whole tree. See the module comment for error handling. */
export function loadTree(root: string, opts: LoadTreeOptions): Tree {
  const keepGoing = opts.keepGoing ?? false;
  const errors: StrataError[] = [];
  const fail = (e: unknown): void => {
    if (!(e instanceof StrataError) || !keepGoing) throw e;
    errors.push(e);
  };

  const config = loadConfig(root);
  const packagesDir = path.join(root, 'packages');
  let stages: string[];
  try {
    stages = listDirs(packagesDir);
  } catch {
    throw notATree(root);
  }

  // 1. read and validate every package.toml
  const raws = new Map<string, RawPackage>();
  const failed = new Set<string>();
  for (const stage of stages) {
    const stageDir = path.join(packagesDir, stage);
    for (const name of listDirs(stageDir)) {
      // stageDir is normalised and name is one directory entry (not '.', '..', no
      // separator): plain concatenation gives what path.join would, without its cost
      const dir = `${stageDir}${path.sep}${name}`;
      const packageFile = `${dir}${path.sep}package.toml`;
      const containerfilePath = `${dir}${path.sep}Containerfile`;
      const id = `${stage}-${name}`;
      try {
        if (!NAME_RE.test(stage) || !NAME_RE.test(name)) {
          throw new StrataError('tree/bad-name', `package directory '${stage}/${name}' is not a valid image name`, {
            location: { file: dir },
            hint: 'use lower-case letters, digits, ".", "_" and "-" in stage and package directory names',
          });
        }
        // Read both files straight away (the common case needs no directory listing); only
        // when a read fails, list the directory to say which file is missing.
        let tomlText: string;
        let containerfileText: string | undefined;
        try {
          tomlText = readFileSync(packageFile, 'utf8');
          if (opts.parse) containerfileText = readFileSync(containerfilePath, 'utf8');
          else if (!isFile(containerfilePath)) checkPackageFiles(dir, id, name, packageFile, containerfilePath);
        } catch (e) {
          checkPackageFiles(dir, id, name, packageFile, containerfilePath);
          throw e;
        }
        raws.set(id, readPackageToml(stage, name, dir, packageFile, tomlText, containerfilePath, containerfileText));
      } catch (e) {
        failed.add(id);
        fail(e);
      }
    }
  }

  // 2. resolve version_from (chains allowed, cycles not)
  const versions = new Map<string, string>();
  const resolveVersion = (raw: RawPackage, chain: string[]): string => {
    const known = versions.get(raw.id);
    if (known !== undefined) return known;
    if (raw.version !== undefined) return raw.version;
    const target = raw.versionFrom!;
    const at = (): SourceLocation => locOf(raw.doc, 'package.version_from');
    if (chain.includes(target) || target === raw.id) {
      throw new StrataError('tree/version-from-cycle', `version_from cycle: ${[...chain, raw.id, target].join(' → ')}`, {
        location: at(),
        hint: 'give one package of the cycle its own version',
      });
    }
    const t = raws.get(target);
    if (!t) {
      const hint = failed.has(target)
        ? `fix package ${target} first`
        : closeMatches(target, [...raws.keys()]).length
          ? `did you mean '${closeMatches(target, [...raws.keys()])[0]}'?`
          : 'name an existing package as <stage>-<name>';
      throw new StrataError('tree/unknown-version-from', `version_from names '${target}', ${failed.has(target) ? 'which failed to load' : 'which is not a package of this tree'}`, {
        location: at(),
        hint,
      });
    }
    return resolveVersion(t, [...chain, raw.id]);
  };

  const packages: PackageDef[] = [];
  for (const raw of raws.values()) {
    try {
      const version = resolveVersion(raw, []);
      versions.set(raw.id, version);
      const sources = expandSources(raw, version);
      let containerfile: Containerfile | undefined;
      if (opts.parse) {
        containerfile = opts.parse(raw.containerfileText ?? readFileSync(raw.containerfilePath, 'utf8'), raw.containerfilePath);
      }
      packages.push({
        stage: raw.stage,
        name: raw.name,
        id: raw.id,
        version,
        versionFrom: raw.versionFrom,
        description: raw.description,
        license: raw.license,
        website: raw.website,
        subpackages: raw.subpackages,
        subpackageLocations: subpackageLocations(raw),
        platforms: raw.platforms ?? [config.platform],
        sources,
        seed: raw.seed,
        buildArgs: buildArgs(version, sources),
        dir: raw.dir,
        packageFile: raw.doc.file,
        containerfilePath: raw.containerfilePath,
        containerfile,
      });
    } catch (e) {
      fail(e);
    }
  }
  packages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { root, config, packages, errors };
}
