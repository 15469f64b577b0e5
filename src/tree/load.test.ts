import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTree } from './load.js';
import { versionForms, expandPlaceholders, buildArgs, argId } from './template.js';
import { locateTomlKeys } from './toml-positions.js';
import { closeMatches } from './close-matches.js';
import { testdata } from '../testutil/paths.js';
import { parseContainerfile } from '../containerfile/parser.js';
import { StrataError } from '../errors.js';

test('versionForms derives every placeholder form', () => {
  assert.deepEqual(versionForms('1.2.3-rc1'), {
    version: '1.2.3-rc1',
    version_major: '1',
    version_major_minor: '1.2',
    version_dash: '1-2-3-rc1',
    version_under: '1_2_3-rc1',
    version_strip_suffix: '1.2.3',
  });
  assert.equal(versionForms('9.4p1').version_strip_suffix, '9.4');
  assert.equal(versionForms('20240101').version_major_minor, '20240101');
  assert.equal(versionForms('git-abc').version_strip_suffix, 'git-abc');
});

test('expandPlaceholders tells unknown from undefined placeholders', () => {
  assert.deepEqual(expandPlaceholders('a-{version}.{format}', { version: '1', format: 'tgz' }), { ok: true, value: 'a-1.tgz' });
  assert.deepEqual(expandPlaceholders('a-{verson}', { version: '1' }), { ok: false, placeholder: 'verson', reason: 'unknown' });
  assert.deepEqual(expandPlaceholders('a.{format}', { format: undefined }), { ok: false, placeholder: 'format', reason: 'undefined' });
  assert.deepEqual(expandPlaceholders('no braces', {}), { ok: true, value: 'no braces' });
});

test('buildArgs: VERSION forms and per-source args, sorted', () => {
  const args = buildArgs('13.2.0', [
    { id: 'gcc', version: '13.2.0', file: 'gcc-13.2.0.tar.xz', gitSha: undefined },
    { id: 'gmp-lib', version: '6.3.0', file: 'gmp-6.3.0.tar.xz', gitSha: 'abc123' },
  ]);
  assert.deepEqual(Object.keys(args), [...Object.keys(args)].sort());
  assert.equal(args['VERSION'], '13.2.0');
  assert.equal(args['VERSION_UNDER'], '13_2_0');
  assert.equal(args['VERSION_DASH'], '13-2-0');
  assert.equal(args['VERSION_MAJOR'], '13');
  assert.equal(args['VERSION_MAJOR_MINOR'], '13.2');
  assert.equal(args['VERSION_STRIP_SUFFIX'], '13.2.0');
  assert.equal(args['GCC_SOURCE'], 'gcc-13.2.0.tar.xz');
  assert.equal(args['GMP_LIB_VERSION'], '6.3.0');
  assert.equal(args['GMP_LIB_GIT_SHA'], 'abc123');
  assert.equal(args['GCC_GIT_SHA'], undefined);
  assert.equal(argId('a-b.c'), 'A_B_C');
});

test('locateTomlKeys finds headers and keys, skipping multi-line values', () => {
  const text = [
    '[package]',
    'name = "x"  # c',
    'mirrors = [',
    '  "name = not a key",',
    ']',
    'desc = """',
    'fake = 1',
    '"""',
    '',
    '  [sources."my.src"]',
    '  hash = "h"',
  ].join('\n');
  const k = locateTomlKeys(text).keys;
  assert.deepEqual(k.get('package'), { line: 1, col: 1 });
  assert.deepEqual(k.get('package.name'), { line: 2, col: 1 });
  assert.deepEqual(k.get('package.desc'), { line: 6, col: 1 });
  assert.equal(k.get('package.fake'), undefined);
  assert.deepEqual(k.get('sources.my.src'), { line: 10, col: 3 });
  assert.deepEqual(k.get('sources.my.src.hash'), { line: 11, col: 3 });
});

test('closeMatches suggests near names', () => {
  assert.deepEqual(closeMatches('core-zlibb', ['core-zlib', 'core-gcc', 'user-zlib2']), ['core-zlib']);
  assert.deepEqual(closeMatches('zzzzzz', ['core-zlib']), []);
});

test('loadTree reads the small fixture: defaults, version_from, expanded sources, build args', () => {
  const tree = loadTree(testdata('trees', 'small'), { parse: parseContainerfile });
  assert.equal(tree.config.namespace, 'stagex');
  assert.equal(tree.config.platform, 'linux/amd64');
  assert.equal(tree.config.threshold, 2);
  assert.equal(tree.config.sourceDateEpoch, 1);
  assert.deepEqual(tree.packages.map((p) => p.id), ['bootstrap-stage0', 'core-busybox', 'core-gcc', 'core-musl', 'pallet-gcc']);
  const pallet = tree.packages.find((p) => p.id === 'pallet-gcc')!;
  assert.equal(pallet.version, '13.2.0');
  assert.equal(pallet.versionFrom, 'core-gcc');
  const bb = tree.packages.find((p) => p.id === 'core-busybox')!;
  assert.deepEqual(bb.sources[0]!.mirrors, [
    'https://example.invalid/busybox/busybox-1.36.1.tar.bz2',
    'https://mirror.example.invalid/bb/busybox-1_36_1.tar.bz2',
  ]);
  assert.equal(bb.sources[0]!.file, 'busybox-1.36.1.tar.bz2');
  assert.equal(bb.sources[0]!.format, 'tar.bz2');
  assert.equal(bb.sources[0]!.location.line, 5);
  const gcc = tree.packages.find((p) => p.id === 'core-gcc')!;
  assert.deepEqual(gcc.subpackages, ['gcc', 'libgcc']);
  assert.equal(gcc.buildArgs['GMP_VERSION'], '6.3.0');
  assert.equal(gcc.buildArgs['GMP_SOURCE'], 'gmp-6.3.0.tar.xz');
  assert.equal(gcc.buildArgs['GCC_SOURCE'], 'gcc-13.2.0.tar.xz');
  assert.deepEqual(gcc.subpackageLocations['libgcc'], { file: gcc.packageFile, line: 4, col: 23 });
  assert.deepEqual(gcc.platforms, ['linux/amd64']);
  assert.equal(gcc.containerfile?.stages.length, 5);
});

function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tree-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return root;
}

const HASH = 'ab'.repeat(32);

test('loadTree: strata.toml settings, binary seeds and a [seed] table', () => {
  const root = tempTree({
    'strata.toml': `namespace = "acme"\nsource_date_epoch = 1700000000\nplatform = "linux/386"\nmirrors = ["https://m.example/"]\nthreshold = 3\n\n[[seeds]]\npath = "seed/hex0-seed"\nsha256 = "${HASH.toUpperCase()}"\n`,
    'packages/bootstrap/hex0/package.toml': `[package]\nname = "hex0"\nversion = "1"\nplatforms = ["linux/amd64"]\n\n[seed]\nsource = "hex0.hex0"\nhash = "${HASH}"\nfile = "hex0-seed"\nfixpoint = "/bin/hex0"\n`,
    'packages/bootstrap/hex0/Containerfile': 'FROM scratch\n',
  });
  try {
    const tree = loadTree(root, { parse: false });
    assert.equal(tree.config.namespace, 'acme');
    assert.equal(tree.config.sourceDateEpoch, 1700000000);
    assert.equal(tree.config.platform, 'linux/386');
    assert.deepEqual(tree.config.mirrors, ['https://m.example/']);
    assert.equal(tree.config.threshold, 3);
    assert.equal(tree.config.seeds.length, 1);
    assert.equal(tree.config.seeds[0]!.sha256, HASH);
    assert.equal(tree.config.seeds[0]!.location.line, 8);
    const p = tree.packages[0]!;
    assert.deepEqual(p.platforms, ['linux/amd64']);
    assert.equal(p.containerfile, undefined);
    assert.deepEqual({ ...p.seed, location: undefined }, { source: 'hex0.hex0', hash: HASH, file: 'hex0-seed', fixpoint: '/bin/hex0', location: undefined });
    assert.equal(p.seed!.location.line, 6);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function loadError(files: Record<string, string>): StrataError {
  const root = tempTree(files);
  try {
    loadTree(root, { parse: false });
  } catch (e) {
    assert.ok(e instanceof StrataError, String(e));
    // locations name files under the tree as given
    if (e.location) assert.ok(e.location.file.startsWith(root), e.location.file);
    return e;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.fail('expected an error');
}

const pkgToml = (body: string): Record<string, string> => ({
  'packages/core/z/package.toml': body,
  'packages/core/z/Containerfile': 'FROM scratch\n',
});

test('loadTree rejects bad input with a code and the key location', () => {
  const cases: [string, Record<string, string>, string, number | undefined, number | undefined][] = [
    ['no [package]', pkgToml('[sources.z]\n'), 'tree/missing-field', 1, 1],
    ['name mismatch', pkgToml('[package]\nname = "y"\nversion = "1"\n'), 'tree/name-mismatch', 2, 1],
    ['version and version_from', pkgToml('[package]\nname = "z"\nversion = "1"\nversion_from = "core-a"\n'), 'tree/bad-value', 4, 1],
    ['version not a string', pkgToml('[package]\nname = "z"\nversion = 1.0\n'), 'tree/bad-value', 3, 1],
    ['subpackages not strings', pkgToml('[package]\nname = "z"\nversion = "1"\nsubpackages = [1]\n'), 'tree/bad-value', 4, 1],
    ['subpackage twice', pkgToml('[package]\nname = "z"\nversion = "1"\nsubpackages = ["a", "a"]\n'), 'tree/bad-value', 4, 1],
    ['bad platform', pkgToml('[package]\nname = "z"\nversion = "1"\nplatforms = ["amd64"]\n'), 'tree/bad-value', 4, 1],
    ['unknown table', pkgToml('[package]\nname = "z"\nversion = "1"\n[source.z]\nhash = "x"\n'), 'tree/unknown-key', 4, 1],
    ['missing hash', pkgToml('[package]\nname = "z"\nversion = "1"\n[sources.z]\nmirrors = ["https://x/z.tgz"]\n'), 'tree/missing-field', 4, 1],
    ['short hash', pkgToml(`[package]\nname = "z"\nversion = "1"\n[sources.z]\nhash = "${'a'.repeat(63)}"\nmirrors = ["https://x/z.tgz"]\n`), 'tree/bad-hash', 5, 1],
    ['{format} without format', pkgToml(`[package]\nname = "z"\nversion = "1"\n[sources.z]\nhash = "${HASH}"\nmirrors = ["https://x/z.{format}"]\n`), 'tree/unknown-placeholder', 6, 25],
    ['{file} without file', pkgToml(`[package]\nname = "z"\nversion = "1"\n[sources.z]\nhash = "${HASH}"\nmirrors = ["https://x/{file}"]\n`), 'tree/missing-field', 4, 1],
    ['unknown placeholder in file', pkgToml(`[package]\nname = "z"\nversion = "1"\n[sources.z]\nhash = "${HASH}"\nfile = "z-{ver}.tgz"\nmirrors = ["https://x/{file}"]\n`), 'tree/unknown-placeholder', 6, 11],
    ['seed path escapes', pkgToml(`[package]\nname = "z"\nversion = "1"\n[seed]\nsource = "../x"\nhash = "${HASH}"\nfile = "s"\n`), 'tree/bad-value', 5, 1],
    ['seed without hash', pkgToml('[package]\nname = "z"\nversion = "1"\n[seed]\nsource = "x"\nfile = "s"\n'), 'tree/missing-field', 4, 1],
    ['version_from cycle', {
      'packages/core/a/package.toml': '[package]\nname = "a"\nversion_from = "core-b"\n',
      'packages/core/a/Containerfile': 'FROM scratch\n',
      'packages/core/b/package.toml': '[package]\nname = "b"\nversion_from = "core-a"\n',
      'packages/core/b/Containerfile': 'FROM scratch\n',
    }, 'tree/version-from-cycle', 3, 1],
    ['bad strata.toml value', { 'strata.toml': 'threshold = 0\n', 'packages/.keep': '' }, 'tree/bad-value', 1, 1],
    ['bad directory name', { 'packages/Core/z/package.toml': '', 'packages/Core/z/Containerfile': '' }, 'tree/bad-name', undefined, undefined],
  ];
  for (const [what, files, code, line, col] of cases) {
    const e = loadError(files);
    assert.equal(e.code, code, `${what}: ${e.format()}`);
    assert.equal(e.location?.line, line, `${what}: ${e.format()}`);
    assert.equal(e.location?.col, col, `${what}: ${e.format()}`);
    assert.ok(e.hint, `${what} has a hint`);
  }
});

test('loadTree without packages/ is an input error', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tree-'));
  try {
    assert.throws(() => loadTree(root, { parse: false }), (e: unknown) => e instanceof StrataError && e.code === 'tree/not-a-tree' && e.exitCode === 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadTree with keepGoing collects one error per broken package and loads the rest', () => {
  const tree = loadTree(testdata('trees', 'keep-going'), { keepGoing: true, parse: parseContainerfile });
  assert.deepEqual(tree.errors.map((e) => e.code), ['tree/unknown-key', 'tree/missing-package-toml']);
  assert.deepEqual(tree.packages.map((p) => p.id), ['core-busybox', 'core-make', 'user-app', 'user-tool', 'user-x', 'user-y']);
});

test('a package directory missing one of its files is reported by name; symlinks to files count as files', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tree-'));
  const pkg = (name: string): string => {
    const dir = path.join(root, 'packages', 'core', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const toml = (name: string): string => `[package]\nname = "${name}"\nversion = "1"\n`;
  try {
    writeFileSync(path.join(pkg('nocf'), 'package.toml'), toml('nocf'));
    mkdirSync(path.join(pkg('cfdir'), 'Containerfile'));
    writeFileSync(path.join(pkg('cfdir'), 'package.toml'), toml('cfdir'));
    writeFileSync(path.join(pkg('notoml'), 'Containerfile'), 'FROM scratch\n');
    writeFileSync(path.join(root, 'real.toml'), toml('linked'));
    writeFileSync(path.join(root, 'real.cf'), 'FROM scratch\n');
    symlinkSync(path.join(root, 'real.toml'), path.join(pkg('linked'), 'package.toml'));
    symlinkSync(path.join(root, 'real.cf'), path.join(pkg('linked'), 'Containerfile'));
    symlinkSync(path.join(root, 'missing'), path.join(pkg('dangling'), 'Containerfile'));
    writeFileSync(path.join(pkg('dangling'), 'package.toml'), toml('dangling'));
    for (const parse of [parseContainerfile, false] as const) {
      const tree = loadTree(root, { keepGoing: true, parse });
      assert.deepEqual(tree.packages.map((p) => p.id), ['core-linked']);
      assert.equal(tree.packages[0]!.containerfile?.stages.length, parse ? 1 : undefined);
      assert.deepEqual(tree.errors.map((e) => `${e.code} ${path.basename(e.location!.file!)}`), [
        'tree/missing-containerfile cfdir',
        'tree/missing-containerfile dangling',
        'tree/missing-containerfile nocf',
        'tree/missing-package-toml notoml',
      ]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
