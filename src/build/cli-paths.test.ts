/**
 * The directory options of build, export and run through the CLI entry point: a file, a
 * path under a file, an unwritable directory, a path in /proc, a non-empty directory of
 * something else — one located line, exit 2, nothing written (ADR 0173). No sandbox is
 * needed: every case fails before a build starts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bufferIO } from '../cli/io.js';
import { main } from '../cli/main.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

let F: string;
let tree: string;
let immutable: string | undefined;
const p = (...parts: string[]): string => path.join(F, ...parts);

/** Every path under F with its size and mtime: what "nothing written" compares. */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const st = statSync(abs, { throwIfNoEntry: false });
      out.push(`${path.relative(F, abs)} ${st?.isDirectory() ? 'd' : st?.size} ${st?.mtimeMs}`);
      if (st?.isDirectory()) walk(abs);
    }
  };
  walk(F);
  return out;
}

before(() => {
  F = tempDir('strata-cli-paths-');
  tree = makeBusyboxTree('strata-cli-paths-tree-');
  addPackage(tree, 'core', 'tiny', 'FROM scratch\nCOPY f /f\n', { f: 'f\n' });
  writeFileSync(p('afile'), 'x\n');
  mkdirSync(p('full'));
  writeFileSync(p('full', 'notes.txt'), 'mine\n');
  mkdirSync(p('layout', 'blobs'), { recursive: true });
  writeFileSync(p('layout', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(p('layout', 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  mkdirSync(p('root'));
  mkdirSync(p('locked'));
  // an immutable directory is unwritable even for root (skipped where chattr does not work)
  if (spawnSync('chattr', ['+i', p('locked')]).status === 0) immutable = p('locked');
});

after(() => {
  if (immutable) spawnSync('chattr', ['-i', immutable]);
  rmSync(F, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
});

interface Case {
  readonly argv: () => string[];
  readonly line: RegExp;
  readonly needs?: () => boolean;
}

const cases: Readonly<Record<string, Case>> = {
  'build --store is a file': { argv: () => ['build', '--tree', tree, '--store', p('afile'), 'core-tiny'], line: /afile: --store: not a directory — --store takes a writable directory/ },
  'build --store under a file': { argv: () => ['build', '--tree', tree, '--store', p('afile', 'store'), 'core-tiny'], line: /afile\/store: --store: a file is in the way/ },
  'build --store in /proc': { argv: () => ['build', '--tree', tree, '--store', '/proc/strata-store', 'core-tiny'], line: /^\/proc\/strata-store: --store: .*kernel pseudo-file system/ },
  'build --store in /sys': { argv: () => ['build', '--tree', tree, '--store', '/sys/strata-store', 'core-tiny'], line: /^\/sys\/strata-store: --store: .*kernel pseudo-file system/ },
  'build --store unwritable': { argv: () => ['build', '--tree', tree, '--store', p('locked', 'store'), 'core-tiny'], line: /locked\/store: --store: cannot write in .*locked/, needs: () => immutable !== undefined },
  'build --store non-empty, not a store': { argv: () => ['build', '--tree', tree, '--store', p('full'), 'core-tiny'], line: /full: --store: not empty and not a strata store \(no oci-layout file\) — give --store an existing store/ },
  'build --tree is a file': { argv: () => ['build', '--tree', p('afile'), 'core-tiny'], line: /afile: --tree: not a directory — --tree takes the tree directory/ },
  'build --tree in /proc': { argv: () => ['build', '--tree', '/proc/self', 'core-tiny'], line: /^\/proc\/self: --tree: .*kernel pseudo-file system/ },
  'build --cache is a file': { argv: () => ['build', '--tree', tree, '--store', p('newstore'), '--cache', p('afile'), 'core-tiny'], line: /afile: --cache: not a directory/ },
  'build --cache in /proc': { argv: () => ['build', '--tree', tree, '--store', p('newstore'), '--cache', '/proc/strata-cache', 'core-tiny'], line: /^\/proc\/strata-cache: --cache: .*kernel pseudo-file system/ },
  'export --oci is a file': { argv: () => ['export', '--store', p('layout'), 'core-tiny', '--oci', p('afile')], line: /afile: --oci: not a directory/ },
  'export --oci non-empty, not a layout': { argv: () => ['export', '--store', p('layout'), 'core-tiny', '--oci', p('full')], line: /full: --oci: not empty and not an OCI image layout — --oci takes a new or empty directory/ },
  'export --oci an existing layout': { argv: () => ['export', '--store', p('layout'), 'core-tiny', '--oci', p('layout')], line: /layout: --oci: already holds an OCI image layout — / },
  'export --oci in /proc': { argv: () => ['export', '--store', p('layout'), 'core-tiny', '--oci', '/proc/strata-oci'], line: /^\/proc\/strata-oci: --oci: .*kernel pseudo-file system/ },
  'export --oci unwritable': { argv: () => ['export', '--store', p('layout'), 'core-tiny', '--oci', p('locked', 'oci')], line: /locked\/oci: --oci: cannot write in/, needs: () => immutable !== undefined },
  'export --store missing': { argv: () => ['export', '--store', p('nope'), 'core-tiny', '--oci', p('newoci')], line: /nope: --store: no such directory — --store takes the store/ },
  'export --store is a file': { argv: () => ['export', '--store', p('afile'), 'core-tiny', '--oci', p('newoci')], line: /afile: --store: not a directory/ },
  'export --store non-empty, not a store': { argv: () => ['export', '--store', p('full'), 'core-tiny', '--oci', p('newoci')], line: /full: --store: not empty and not a strata store/ },
  'run --root missing': { argv: () => ['run', '--root', p('nope'), '--', '/bin/sh'], line: /nope: --root: no such directory — --root takes the directory 'strata build --keep-failed' printed/ },
  'run --root is a file': { argv: () => ['run', '--root', p('afile'), '--', '/bin/sh'], line: /afile: --root: not a directory/ },
  'run --root in /proc': { argv: () => ['run', '--root', '/proc/self', '--', '/bin/sh'], line: /^\/proc\/self: --root: .*kernel pseudo-file system/ },
  'run --store is a file': { argv: () => ['run', '--store', p('afile'), 'core-tiny'], line: /afile: --store: not a directory/ },
  'run --store non-empty, not a store': { argv: () => ['run', '--store', p('full'), 'core-tiny'], line: /full: --store: not empty and not a strata store/ },
  'run --store unwritable': { argv: () => ['run', '--store', p('locked'), 'core-tiny'], line: /locked: --store: cannot write in/, needs: () => immutable !== undefined },
  'run --tree is a file': { argv: () => ['run', '--tree', p('afile'), 'core-tiny'], line: /afile: --tree: not a directory/ },
};

for (const [name, c] of Object.entries(cases)) {
  test(`path option: ${name}`, async (t) => {
    if (c.needs && !c.needs()) {
      t.skip('chattr +i does not work here');
      return;
    }
    const before = snapshot();
    const treeBefore = readdirSync(tree).sort();
    const io = bufferIO({}, F);
    const code = await main(c.argv(), io);
    assert.equal(code, 2, io.stderr());
    assert.equal(io.stdout(), '');
    const err = io.stderr();
    assert.ok(err.endsWith('\n') && err.indexOf('\n') === err.length - 1, `one line:\n${err}`);
    assert.match(err, c.line);
    assert.match(err, / — \S/, 'a hint');
    assert.doesNotMatch(err, /internal error|ENOENT|ENOTDIR|EACCES/);
    assert.deepEqual(snapshot(), before, 'nothing written');
    assert.deepEqual(readdirSync(tree).sort(), treeBefore, 'nothing written in the tree');
  });
}

test('path option: the same one line from the real process (spawned dist/cli/main.js)', () => {
  const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, 'build', '--tree', tree, '--store', '/proc/strata-store', 'core-tiny'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^\/proc\/strata-store: --store: .*kernel pseudo-file system.* — /);
  assert.equal(r.stderr.split('\n').length, 2);
});
