import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOverlayMounts, MAX_OPTION_BYTES, KERNEL_MAX_LOWERS } from './overlay-plan.js';
import { bwrapArgs, validateSpec } from './bwrap-args.js';
import type { RunSpec } from './types.js';
import { noUserNamespaceFilter } from './seccomp.js';

const long = (i: number) => `/var/lib/a/very/long/cache/path/sha256/${String(i).padStart(64, '0')}`;

test('lower layers are named by short links and listed top first', () => {
  const plan = planOverlayMounts({ lowers: [long(0), long(1), long(2)], upper: '/u', work: '/w' });
  assert.deepEqual(plan.mounts, [
    { target: 'm', options: 'lowerdir=2:1:0,upperdir=u,workdir=w,index=off,metacopy=off,redirect_dir=off,xino=off' },
  ]);
  assert.deepEqual(plan.links.slice(0, 3), [
    { name: 'u', target: '/u' },
    { name: 'w', target: '/w' },
    { name: '0', target: long(0) },
  ]);
});

test('the kernel maximum of layers fits in one page of options', () => {
  const lowers = Array.from({ length: KERNEL_MAX_LOWERS }, (_, i) => long(i));
  const plan = planOverlayMounts({ lowers, upper: '/u', work: '/w' });
  assert.equal(plan.mounts.length, 1);
  assert.ok(Buffer.byteLength(plan.mounts[0]!.options) < MAX_OPTION_BYTES);
});

test('beyond one mount, only the base-most layers are grouped', () => {
  const lowers = Array.from({ length: 7 }, (_, i) => long(i));
  const plan = planOverlayMounts({ lowers, upper: '/u', work: '/w', maxLowersPerMount: 4 });
  assert.deepEqual(
    plan.mounts.map((m) => m.options.split(',')[0]),
    ['lowerdir=3:2:1:0', 'lowerdir=6:5:4:b'],
  );
  assert.equal(plan.mounts[0]!.options.includes('upperdir'), false);
  assert.throws(() => planOverlayMounts({ lowers: [...lowers, long(7)], upper: '/u', work: '/w', maxLowersPerMount: 4 }).mounts.length, {
    code: 'sandbox/too-many-layers',
  });
});

test('FROM scratch gets an empty lower layer', () => {
  const plan = planOverlayMounts({ lowers: [], upper: '/u', work: '/w' });
  assert.ok(plan.dirs.includes('e'));
  assert.match(plan.mounts[0]!.options, /^lowerdir=e,/);
});

const spec = (over: Partial<RunSpec>): RunSpec => ({ root: { kind: 'directory', dir: '/r' }, argv: ['true'], env: {}, ...over });

test('bad specs are input errors', () => {
  for (const bad of [
    spec({ argv: [] }),
    spec({ env: { 'A=B': 'x' } }),
    spec({ env: { '': 'x' } }),
    spec({ cwd: 'relative' }),
    spec({ uid: 65536 }),
    spec({ gid: -1 }),
    spec({ uid: 1.5 }),
    spec({ hostname: 'bad host' }),
    spec({ timeoutMs: 0 }),
  ]) {
    assert.throws(() => validateSpec(bad), (e: unknown) => (e as { code: string; exitCode: number }).code === 'sandbox/bad-spec' && (e as { exitCode: number }).exitCode === 2);
  }
});

test('bwrap arguments: no network unless asked, env sorted and cleared, no SYS_ADMIN', () => {
  const args = bwrapArgs(spec({ env: { B: '2', A: '1' }, uid: 5, gid: 6, cwd: '/w' }), '/root');
  assert.ok(args.includes('--unshare-net'));
  assert.ok(args.includes('--clearenv'));
  assert.ok(!args.includes('CAP_SYS_ADMIN'));
  const env = args.flatMap((a, i) => (a === '--setenv' ? [args[i + 1]] : []));
  assert.deepEqual(env, ['A', 'B']);
  assert.deepEqual(args.slice(args.indexOf('--') + 1), ['/proc/self/fd/6', '5', '6', '-', 'true']);
  assert.ok(!bwrapArgs(spec({ network: true }), '/root').includes('--unshare-net'));
  assert.deepEqual(bwrapArgs(spec({ env: { PWD: '/x' } }), '/root').slice(-2), ['+/x', 'true']);
});

test('the seccomp program is whole instructions and bwrap reads it from its descriptor', () => {
  const prog = noUserNamespaceFilter();
  assert.equal(prog.length % 8, 0);
  assert.ok(prog.length / 8 < 64);
  const args = bwrapArgs(spec({}), '/root');
  assert.equal(args[args.indexOf('--seccomp') + 1], '7');
});
