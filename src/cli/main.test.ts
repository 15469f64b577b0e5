import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { main } from './main.js';
import { bufferIO } from './io.js';
import { cliPath } from '../testutil/paths.js';

test('no command is a usage error: one line on stderr, nothing on stdout, exit 2', async () => {
  const io = bufferIO();
  assert.equal(await main([], io), 2);
  assert.equal(io.stdout(), '');
  assert.equal(io.stderr(), "no command given — run 'strata --help' for the list of commands\n");
});

test('--help lists the commands and exits 0', async () => {
  const io = bufferIO();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.stdout(), /\bplan\b/);
});

test('an unknown command is one line with a hint, exit 2', async () => {
  const io = bufferIO();
  assert.equal(await main(['frobnicate'], io), 2);
  assert.equal(io.stderr(), "unknown command 'frobnicate' — run 'strata --help' for the list of commands\n");
});

test('every command answers --help without error', async () => {
  const { commands } = await import('./registry.js');
  for (const name of Object.keys(commands)) {
    const io = bufferIO();
    assert.equal(await main([name, '--help'], io), 0, name);
    assert.match(io.stdout(), new RegExp(`usage: strata ${name}`), name);
  }
});

test('an unknown option is a usage error naming the command, exit 2', async () => {
  const io = bufferIO();
  assert.equal(await main(['plan', '--no-such-flag'], io), 2);
  assert.match(io.stderr(), /^plan: Unknown option '--no-such-flag' — run 'strata plan --help'/);
  assert.equal(io.stderr().trim().split('\n').length, 1);
});

test('the compiled CLI runs with node and reports its version', () => {
  const r = spawnSync(process.execPath, [cliPath, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^strata \d+\.\d+\.\d+\n$/);
});

test("'strata help COMMAND' is 'strata COMMAND --help'; an unknown one is a one-line error", async () => {
  const io = bufferIO();
  assert.equal(await main(['help', 'fsck'], io), 0);
  assert.match(io.stdout(), /^usage: strata fsck/);
  const bad = bufferIO();
  assert.equal(await main(['help', 'frobnicate'], bad), 2);
  assert.equal(bad.stderr().split('\n').length, 2);
});
