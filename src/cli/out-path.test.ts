import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isStrataError } from '../errors.js';
import { main } from './main.js';
import { bufferIO } from './io.js';
import { checkOutputPath, pseudoFileSystemOf } from './out-path.js';
import { cliPath, testdata } from '../testutil/paths.js';

let base: string;
const tree = testdata('trees', 'small');
const D = `sha256:${'ab'.repeat(32)}`;

before(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'strata-outpath-'));
  chmodSync(base, 0o755);
  writeFileSync(path.join(base, 'afile'), 'x\n');
  mkdirSync(path.join(base, 'readonly'), { mode: 0o555 });
  chmodSync(path.join(base, 'readonly'), 0o555);
});

after(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Every output-path option of the commands, as argv around the path under test. */
const OPTIONS: ReadonlyArray<{ readonly option: string; readonly argv: (out: string) => string[] }> = [
  { option: '--out', argv: (o) => ['policy', '--tree', tree, '--out', o] },
  { option: '--signatures', argv: (o) => ['sign', '--tree', tree, '--signatures', o, '--key', path.join(base, 'no.key'), '--all'] },
  { option: '--lookaside', argv: (o) => ['publish', '--tree', tree, '--to', '127.0.0.1:9/stagex', '--signatures', base, '--lookaside', o, '--all'] },
  { option: '--export', argv: (o) => ['fetch', '--tree', tree, '--cache', path.join(base, 'cache'), '--export', o] },
  { option: '--cache', argv: (o) => ['fetch', '--tree', tree, '--cache', o] },
  { option: '--store', argv: (o) => ['pull', '--tree', tree, '--signatures', base, '--store', o, `127.0.0.1:9/stagex/core-x@${D}`] },
];

/** Places no output can go, and what the one error line says about each. */
const PLACES: ReadonlyArray<{ readonly name: string; readonly out: () => string; readonly says: RegExp }> = [
  { name: 'under /proc', out: () => '/proc/strata-outpath-test/x', says: /is on proc, a kernel pseudo-file system/ },
  { name: 'under /sys', out: () => '/sys/strata-outpath-test', says: /is on sys, a kernel pseudo-file system/ },
  { name: 'under a regular file', out: () => path.join(base, 'afile', 'sub'), says: /a file is in the way/ },
  { name: 'a regular file', out: () => path.join(base, 'afile'), says: /: not a directory/ },
];

for (const o of OPTIONS) {
  for (const place of PLACES) {
    test(`${o.argv('OUT')[0]} ${o.option} ${place.name}: one line, exit 2, nothing written`, { timeout: 120_000 }, async () => {
      const before = readdirSync(base).sort();
      const out = place.out();
      const io = bufferIO({}, base);
      const code = await main(o.argv(out), io);
      assert.equal(code, 2, io.stderr());
      const lines = io.stderr().trimEnd().split('\n');
      assert.equal(lines.length, 1, io.stderr());
      const line = lines[0]!;
      assert.ok(line.startsWith(`${out}: ${o.option}: `), line);
      assert.match(line, place.says);
      assert.match(line, / — \S/);
      assert.equal(io.stdout(), '');
      assert.deepEqual(readdirSync(base).sort(), before, 'nothing created');
    });
  }
}

test('a directory strata may not write: refused before anything is created (run as an unprivileged user when root)', { timeout: 120_000 }, () => {
  const out = path.join(base, 'readonly', 'policy');
  const argv = ['policy', '--tree', tree, '--out', out];
  let status: number | null;
  let stderr: string;
  if (process.getuid?.() === 0) {
    // root may write anywhere; an unprivileged uid meets the permission bits.
    const r = spawnSync(process.execPath, [cliPath, ...argv], { cwd: base, uid: 65534, gid: 65534, env: { PATH: process.env['PATH'] }, encoding: 'utf8' });
    status = r.status;
    stderr = r.stderr;
  } else {
    const r = spawnSync(process.execPath, [cliPath, ...argv], { cwd: base, encoding: 'utf8' });
    status = r.status;
    stderr = r.stderr;
  }
  assert.equal(status, 2, stderr);
  assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
  assert.match(stderr, /: --out: cannot write in .*readonly \(permission denied\) — give --out a directory you may write/);
  assert.equal(existsSync(out), false);
});

test('checkOutputPath: a new directory under a writable one, or an existing one, is fine', () => {
  checkOutputPath('--out', 'new', path.join(base, 'new', 'deeper'), 'dir');
  checkOutputPath('--out', '.', base, 'dir');
  checkOutputPath('--file', 'f', path.join(base, 'afile'), 'file');
  assert.equal(existsSync(path.join(base, 'new')), false, 'the check creates nothing');
  assert.throws(
    () => checkOutputPath('--file', 'd', base, 'file'),
    (e: unknown) => isStrataError(e) && e.code === 'cli/not-a-file' && e.exitCode === 2,
  );
});

test('pseudoFileSystemOf: /proc and /sys by place, real file systems not', () => {
  assert.equal(pseudoFileSystemOf('/proc'), 'proc');
  assert.equal(pseudoFileSystemOf('/proc/self'), 'proc');
  assert.equal(pseudoFileSystemOf('/sys/fs'), 'sys');
  assert.equal(pseudoFileSystemOf('/process'), undefined);
  assert.equal(pseudoFileSystemOf(base), undefined);
});
