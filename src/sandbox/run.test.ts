import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { run } from './run.js';
import { makeI386Hello, makeI386UnshareUser, makeOverlayFixture, cleanupTempDirs } from './test-fixtures.js';
import type { RunResult, RunSpec } from './types.js';

after(cleanupTempDirs);

const ENV = { PATH: '/bin', HOME: '/root' };

async function sh(script: string, extra: Partial<RunSpec> = {}, fx = makeOverlayFixture()): Promise<RunResult & { out: string; fx: typeof fx }> {
  let out = '';
  const r = await run({
    root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work },
    argv: ['/bin/sh', '-c', script],
    env: ENV,
    onOutput: (c) => (out += c.toString('utf8')),
    timeoutMs: 60_000,
    ...extra,
  });
  return { ...r, out, fx };
}

test('creating a block device fails, and nothing reaches the upper dir', async () => {
  const r = await sh('mknod /blk b 8 0 && echo CREATED; mknod /chr c 1 3 && echo CREATED; exit 0');
  assert.doesNotMatch(r.out, /CREATED/);
  assert.match(r.out, /Operation not permitted/);
  assert.equal(existsSync(path.join(r.fx.upper, 'blk')), false);
  assert.equal(existsSync(path.join(r.fx.upper, 'chr')), false);
});

test('mounting anything fails', async () => {
  const r = await sh('mkdir -p /mnt; mount -t tmpfs none /mnt && echo MOUNTED; mount --bind /bin /mnt && echo MOUNTED; mount -t proc proc /mnt && echo MOUNTED; unshare -U -r -m sh -c "mount -t tmpfs x /mnt && echo MOUNTED"; unshare -m true && echo UNSHARED; exit 0');
  assert.doesNotMatch(r.out, /UNSHARED/);
  assert.doesNotMatch(r.out, /MOUNTED/);
});

test('a RUN cannot write outside its root', async () => {
  const fx = makeOverlayFixture();
  const canary = path.join(fx.base, 'canary');
  writeFileSync(canary, 'original');
  const r = await sh(
    `echo pwned > ${canary}; echo pwned > /proc/1/root${canary}; cd /../../..; echo pwned > .${canary}; ls ${fx.base} && echo SEES_HOST; exit 0`,
    {},
    fx,
  );
  assert.equal(readFileSync(canary, 'utf8'), 'original');
  assert.doesNotMatch(r.out, /SEES_HOST/);
  assert.deepEqual(readdirSync(fx.base).sort(), ['canary', 'lower', 'upper', 'work']);
});

test('chown 1000:1000 succeeds and the owner is 1000 on disk', async () => {
  const r = await sh('touch /f && chown 1000:1000 /f && stat -c %u:%g /f');
  assert.equal(r.exitCode, 0, r.out);
  assert.match(r.out, /^1000:1000$/m);
  const st = statSync(path.join(r.fx.upper, 'f'));
  assert.equal(st.uid, 1000);
  assert.equal(st.gid, 1000);
});

test('files created as USER 1000 are owned by 1000 on disk, and root files still show as root', async () => {
  const r = await sh('id -u; id -g; stat -c %u /bin/busybox; touch /tmp/mine', { uid: 1000, gid: 1000 });
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(r.out, '1000\n1000\n0\n');
  const st = statSync(path.join(r.fx.upper, 'tmp', 'mine'));
  assert.equal(st.uid, 1000);
  assert.equal(st.gid, 1000);
});

test('a non-root USER cannot write into root-owned directories or chown', async () => {
  const r = await sh('touch /etc/x && echo WROTE; touch /tmp/y; chown 0:0 /tmp/y && echo CHOWNED; exit 0', { uid: 1000, gid: 1000 });
  assert.doesNotMatch(r.out, /WROTE|CHOWNED/);
});

test('umask is 022, hostname is fixed, cwd is honoured', async () => {
  const fx = makeOverlayFixture();
  mkdirSync(path.join(fx.lower, 'work'));
  const r = await sh('umask; hostname; pwd; touch f; mkdir d', { cwd: '/work' }, fx);
  assert.equal(r.out, '0022\nstrata\n/work\n');
  assert.equal(lstatSync(path.join(fx.upper, 'work', 'f')).mode & 0o7777, 0o644);
  assert.equal(lstatSync(path.join(fx.upper, 'work', 'd')).mode & 0o7777, 0o755);
});

test('the environment is exactly the given map; host variables are invisible', async () => {
  process.env['STRATA_HOST_SECRET'] = 'leak';
  try {
    let out = '';
    const fx = makeOverlayFixture();
    const env = { PATH: '/bin', A: 'one two', EMPTY: '' };
    const r = await run({
      root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work },
      argv: ['env'],
      env,
      onOutput: (c) => (out += c.toString('utf8')),
    });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(out.trim().split('\n').sort(), ['A=one two', 'EMPTY=', 'PATH=/bin']);
  } finally {
    delete process.env['STRATA_HOST_SECRET'];
  }
});

async function withServer(fn: (port: number, connections: () => number) => Promise<void>): Promise<void> {
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    s.end('hello from host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await fn(port, () => count);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('no network: connecting to a server on 127.0.0.1 fails', async () => {
  await withServer(async (port, connections) => {
    const r = await sh(`nc -w 2 127.0.0.1 ${port} </dev/null && echo CONNECTED; exit 0`);
    assert.doesNotMatch(r.out, /hello from host|CONNECTED/);
    assert.equal(connections(), 0);
  });
});

test('network: true shares the host network', async () => {
  await withServer(async (port, connections) => {
    const r = await sh(`nc -w 5 127.0.0.1 ${port} </dev/null`, { network: true });
    assert.match(r.out, /hello from host/);
    assert.equal(connections(), 1);
  });
});

test('an i386 static binary runs (exec form)', async () => {
  const fx = makeOverlayFixture();
  makeI386Hello(path.join(fx.lower, 'bin', 'hello32'), 'hello from i386\n', 7);
  let out = '';
  const r = await run({
    root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work },
    argv: ['hello32'],
    env: ENV,
    onOutput: (c) => (out += c.toString('utf8')),
  });
  assert.equal(out, 'hello from i386\n');
  assert.equal(r.exitCode, 7);
});

test('a missing command exits 127 with a message', async () => {
  let out = '';
  const fx = makeOverlayFixture();
  const r = await run({
    root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work },
    argv: ['no-such-command'],
    env: ENV,
    onOutput: (c) => (out += c.toString('utf8')),
  });
  assert.equal(r.exitCode, 127);
  assert.match(out, /no-such-command/);
});

test('the timeout kills the whole sandbox, background processes included', async () => {
  const marker = String(40000 + Math.floor(Math.random() * 9999));
  const r = await sh(`sleep ${marker} & sleep ${marker}`, { timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.notEqual(r.exitCode, 0);
  const survivors = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(marker);
      } catch {
        return false;
      }
    });
  assert.deepEqual(survivors, []);
});

test('the overlay mount never appears in the host mount table; /proc and /dev are not captured', async () => {
  let sawMount: boolean | undefined;
  const r = await sh('echo ready; sleep 1; touch /done', {
    onOutput: () => {
      sawMount ??= readFileSync('/proc/self/mounts', 'utf8').includes('strata-sbx-');
    },
  });
  assert.equal(r.exitCode, 0);
  assert.equal(sawMount, false);
  assert.equal(readFileSync('/proc/self/mounts', 'utf8').includes('strata-sbx-'), false);
  assert.deepEqual(readdirSync(r.fx.upper), ['done']);
});

test('stdout and stderr go to the log file', async () => {
  const fx = makeOverlayFixture();
  const log = path.join(fx.base, 'run.log');
  const r = await run({
    root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work },
    argv: ['/bin/sh', '-c', 'echo to-out; echo to-err >&2'],
    env: ENV,
    logFile: log,
  });
  assert.equal(r.exitCode, 0);
  const text = readFileSync(log, 'utf8');
  assert.match(text, /to-out/);
  assert.match(text, /to-err/);
});

test('a directory root runs without an overlay', async () => {
  const fx = makeOverlayFixture();
  let out = '';
  const r = await run({ root: { kind: 'directory', dir: fx.lower }, argv: ['/bin/sh', '-c', 'echo hi > /tmp/x; cat /tmp/x'], env: ENV, onOutput: (c) => (out += c.toString()) });
  assert.equal(r.exitCode, 0);
  assert.equal(out, 'hi\n');
  assert.equal(readFileSync(path.join(fx.lower, 'tmp', 'x'), 'utf8'), 'hi\n');
});

test('an i386 program cannot create a user namespace either', async () => {
  const fx = makeOverlayFixture();
  makeI386UnshareUser(path.join(fx.lower, 'bin', 'unshare32'));
  const r = await run({ root: { kind: 'overlay', lowers: [fx.lower], upper: fx.upper, work: fx.work }, argv: ['unshare32'], env: ENV });
  assert.equal(r.exitCode, 1); // EPERM
});

test('background processes do not outlive the RUN', async () => {
  const marker = String(50000 + Math.floor(Math.random() * 9999));
  const r = await sh(`sleep ${marker} & echo started`);
  assert.equal(r.exitCode, 0);
  assert.equal(r.timedOut, false);
  const survivors = readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(marker);
    } catch {
      return false;
    }
  });
  assert.deepEqual(survivors, []);
});
