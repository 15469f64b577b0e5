/**
 * Integration: failing builds through the CLI entry point (in-process). One shared store,
 * so the busybox base is built once and then served from the cache.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { fsckStore } from '../store/fsck.js';
import { OciStore } from '../store/store.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

let store: string;

async function strata(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return strataIn({}, ...argv);
}

/** `interactive`: stderr is a terminal (the progress line redraws); `cwd` defaults to the process's. */
async function strataIn(o: { interactive?: boolean; cwd?: string }, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const base = bufferIO({}, o.cwd);
  const io = { ...base, interactive: o.interactive ?? false };
  const code = await main(argv, io);
  return { code, out: base.stdout(), err: base.stderr() };
}

before(async () => {
  store = path.join(tempDir('strata-fail-store-'), 'store');
  const tree = makeBusyboxTree();
  const r = await strata('build', '--tree', tree, '--store', store, 'core-busybox');
  assert.equal(r.code, 0, r.err);
});

test('a RUN that exits non-zero: exit 1 with location, no image, fsck clean; --keep-failed root can be entered', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'bad', 'FROM stagex/core-busybox\nRUN echo partial > /partial\nRUN echo before > /marker && exit 3\n');
  const r = await strata('build', '--tree', tree, '--store', store, '--keep-failed', 'core-bad');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /Containerfile:3:1: RUN exited with status 3; the failed root is kept in (\S+) — enter the failed root with 'strata run --root \S+ -- \/bin\/sh'; the build log is \S+core-bad\.log/);
  const kept = /kept in (\S+)/.exec(r.err)![1]!;
  assert.ok(existsSync(path.join(kept, 'marker')));
  const s = await OciStore.open(store);
  assert.equal(await s.resolveRef('core-bad'), undefined);
  const report = await fsckStore(store);
  assert.deepEqual(report.problems, []);
  const entered = await strata('run', '--store', store, '--root', kept, '--', '/bin/cat', '/marker');
  assert.equal(entered.code, 0, entered.err);
  assert.equal(entered.out, 'before\n');
});

test('the failed-image progress line names the real log and the command that enters a kept root, on a terminal and in CI', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'bad2', 'FROM stagex/core-busybox\nRUN echo inside > /marker && exit 5\n');
  for (const interactive of [false, true]) {
    for (const keep of [false, true]) {
      const r = await strataIn({ interactive }, 'build', '--tree', tree, '--store', store, ...(keep ? ['--keep-failed'] : []), 'core-bad2');
      assert.equal(r.code, 1, r.err);
      assert.doesNotMatch(r.err, /<store>/);
      const line = r.err.split(/\n|\r\x1b\[K/).find((l) => l.startsWith('failed core-bad2'));
      assert.ok(line, r.err);
      const log = /\(log: (\S+)\)/.exec(line)![1]!;
      if (interactive) {
        // a terminal also shows the image's current instruction on the redrawn status line
        assert.match(r.err, /\r\x1b\[K\[\d+\] 0 B · core-bad2: RUN echo inside > \/marker && exit 5/);
      } else {
        assert.doesNotMatch(r.err, /\r|\x1b/, 'plain lines in CI');
      }
      assert.equal(log, path.join(store, 'strata', 'logs', 'core-bad2.log'));
      assert.match(readFileSync(log, 'utf8'), /exit 5/);
      if (!keep) {
        assert.doesNotMatch(line, /strata run/);
        continue;
      }
      const m = /enter the failed root with: strata run --root (\S+) -- \/bin\/sh$/.exec(line);
      assert.ok(m, line);
      // the printed command works as printed, from a directory with no store
      const entered = await strataIn({ cwd: tempDir('strata-elsewhere-') }, 'run', '--root', m[1]!, '--', '/bin/cat', '/marker');
      assert.equal(entered.code, 0, entered.err);
      assert.equal(entered.out, 'inside\n');
    }
  }
});

test('--run-timeout stops a runaway RUN: exit 1, no image', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'slow', 'FROM stagex/core-busybox\nRUN sleep 60\n');
  const r = await strata('build', '--tree', tree, '--store', store, '--run-timeout', '1', 'core-slow');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /Containerfile:2:1: RUN was stopped after 1 s \(--run-timeout\)/);
  assert.equal(await (await OciStore.open(store)).resolveRef('core-slow'), undefined);
});

test('strata run IMAGE runs the image command, with its env, and returns its status', async () => {
  const r = await strata('run', '--store', store, 'core-busybox', '--', '/bin/sh', '-c', 'echo "$PATH $HOME"; exit 4');
  assert.equal(r.code, 4);
  assert.equal(r.out, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /root\n');
});

test('a missing base image: exit 2 naming the image and the FROM line, nothing stored', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'nobase', 'FROM alpine:3.19\nRUN true\n');
  const r = await strata('build', '--tree', tree, '--store', store, 'core-nobase');
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /Containerfile:1:1: image 'alpine:3\.19' is not in the store — strata never pulls/);
  assert.equal(await (await OciStore.open(store)).resolveRef('core-nobase'), undefined);
});

for (const [name, copy, hint] of [
  ['dotdot', 'COPY ../secret /s', "'..'"],
  ['absolute', 'COPY /etc/hostname /s', 'absolute'],
  ['symlink', 'COPY link/secret /s', 'symlink'],
  ['symlink-rel', 'COPY rel/secret /s', 'symlink'],
] as const) {
  test(`a COPY source outside the context is refused (${name})`, async () => {
    const tree = makeBusyboxTree();
    const dir = addPackage(tree, 'core', 'escape', `FROM stagex/core-busybox\n${copy}\n`);
    writeFileSync(path.join(dir, '..', 'secret'), 'secret\n');
    symlinkSync('/etc', path.join(dir, 'link'));
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync('../..', path.join(dir, 'rel'));
    const r = await strata('build', '--tree', tree, '--store', store, 'core-escape');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /Containerfile:2:1: COPY source/);
    assert.ok(r.err.includes(hint), r.err);
    assert.equal(await (await OciStore.open(store)).resolveRef('core-escape'), undefined);
  });
}

test('bad usage: no image and no --all', async () => {
  const tree = makeBusyboxTree();
  const r = await strata('build', '--tree', tree, '--store', store);
  assert.equal(r.code, 2);
  assert.match(r.err, /no image named — name images/);
});

test('export writes a layout skopeo reads', async () => {
  const out = path.join(tempDir('strata-export-'), 'oci');
  const r = await strata('export', '--store', store, 'core-busybox', '--oci', out);
  assert.equal(r.code, 0, r.err);
  const { execFileSync } = await import('node:child_process');
  const info = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${out}:core-busybox`], { encoding: 'utf8' })) as { Digest: string };
  assert.match(r.out, new RegExp(info.Digest));
});

test('the default store is <tree>/.strata/store for build, export and run; skopeo copy reads the export', async () => {
  const tree = makeBusyboxTree();
  addPackage(tree, 'core', 'deflt', 'FROM stagex/core-busybox\nCMD ["/bin/sh", "-c", "echo from-default-store"]\n');
  const b = await strataIn({ cwd: tree }, 'build', 'core-deflt');
  assert.equal(b.code, 0, b.err);
  assert.ok(existsSync(path.join(tree, '.strata', 'store', 'oci-layout')));
  const out = path.join(tempDir('strata-export-default-'), 'oci');
  const e = await strata('export', '--tree', tree, 'core-deflt', '--oci', out);
  assert.equal(e.code, 0, e.err);
  const { execFileSync } = await import('node:child_process');
  const copy = path.join(tempDir('strata-skopeo-copy-'), 'copy');
  execFileSync('skopeo', ['copy', '--quiet', `oci:${out}:core-deflt`, `oci:${copy}:copied`], { stdio: 'pipe' });
  assert.ok(existsSync(path.join(copy, 'index.json')));
  const r = await strata('run', '--tree', tree, 'core-deflt');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'from-default-store\n');
});
