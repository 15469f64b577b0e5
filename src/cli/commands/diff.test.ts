import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OciStore } from '../../store/store.js';
import { bytesSource } from '../../tar/writer.js';
import { cliPath } from '../../testutil/paths.js';
import { writeTestImage } from '../../verify/test-images.js';
import type { ImageComparison } from '../../verify/types.js';
import { bufferIO } from '../io.js';
import { main } from '../main.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'strata-verify-cli-'));
  const store = await OciStore.open(path.join(dir, '.strata', 'store'), { create: true });
  const f = (content: string) => [{ path: 'greeting', type: 'file' as const, mode: 0o644, mtime: 1, size: content.length, content: bytesSource(content) }];
  await writeTestImage(store, 'one', [f('hello\n')]);
  await writeTestImage(store, 'one-again', [f('hello\n')]);
  await writeTestImage(store, 'two', [f('hullo\n')]);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('strata diff: identical → 0, different → 1 with the file named', async () => {
  const same = bufferIO({}, dir);
  assert.equal(await main(['diff', 'one', 'one-again'], same), 0);
  assert.match(same.stdout(), /^identical$/m);
  const diff = bufferIO({}, dir);
  assert.equal(await main(['diff', '--tree', dir, 'one', 'two'], diff), 1);
  assert.match(diff.stdout(), /greeting: content sha256/);
  assert.match(diff.stdout(), /^ +-hello$/m);
  assert.match(diff.stdout(), /^ +\+hullo$/m);
});

test('strata diff --json: the comparison object', async () => {
  const io = bufferIO({}, dir);
  assert.equal(await main(['diff', '--json', '--store', path.join(dir, '.strata', 'store'), 'one', 'two'], io), 1);
  const c = JSON.parse(io.stdout()) as ImageComparison;
  assert.equal(c.identical, false);
  assert.equal(c.layers[0]!.paths![0]!.path, 'greeting');
});

test('strata diff: bad arguments exit 2 with one line and a hint', async () => {
  for (const argv of [['diff', 'one'], ['diff', 'one', 'missing'], ['diff', 'oci:', 'one'], ['diff', '--bogus', 'a', 'b']]) {
    const io = bufferIO({}, dir);
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.equal(io.stderr().trim().split('\n').length, 1, io.stderr());
    assert.match(io.stderr(), / — /);
  }
});

test('strata diff as a process: exit codes 0 and 1', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cliPath, 'diff', ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(run('one', 'one-again').status, 0);
  const r = run('one', 'two');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /layer 0: differs/);
});
