/**
 * Integration: what metadata instructions put into the image config (issue 3 §2) — built
 * for real on the busybox base, read back from the store and through skopeo. HEALTHCHECK
 * as Docker records it (ADR 0170), USER/VOLUME/EXPOSE/ENV, inheritance from store images,
 * and the platform: a linux/386 package whose exec-form RUN is an i386 program, and
 * FROM --platform deciding the config's platform (ADR 0171).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';
import type { ImageConfig } from '../oci/types.js';
import { makeI386Hello } from '../sandbox/test-fixtures.js';
import { OciStore } from '../store/store.js';
import { buildTree, type BuildReport } from './build.js';
import { addPackage, makeBusyboxTree } from './testsupport/busybox-tree.js';

let tree: string;
let report: BuildReport;
let store: OciStore;

async function config(image: string): Promise<ImageConfig> {
  const d = await store.resolveRef(image);
  assert.ok(d, image);
  return store.readConfig((await store.readManifest(d.digest)).config.digest);
}

before(async () => {
  tree = makeBusyboxTree('strata-config-tree-');
  addPackage(tree, 'core', 'hc', `FROM stagex/core-busybox AS base
HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=0 --retries=3 CMD wget -q -O- http://127.0.0.1/ || exit 1
USER 1000:1000
VOLUME /data /cache
EXPOSE 53/udp 80
ENV A=1 B="two words"
WORKDIR rel
FROM base
HEALTHCHECK --start-interval=5s CMD ["/bin/true", "x"]
`);
  addPackage(tree, 'core', 'hcnone', 'FROM stagex/core-hc\nHEALTHCHECK NONE\n');
  addPackage(tree, 'core', 'hcinherit', 'FROM stagex/core-hc\nLABEL org.example.k=v\n');
  const i386 = addPackage(tree, 'core', 'i386', 'FROM scratch\nCOPY hello /hello\nRUN ["/hello"]\n', {}, 'platforms = ["linux/386"]\n');
  makeI386Hello(path.join(i386, 'hello'), 'hello from i386\n', 0);
  addPackage(tree, 'core', 'fromplat', 'FROM --platform=linux/i686 scratch AS x\nCOPY f /f\n\nFROM x\nCOPY f /g\n', { f: 'f\n' });
  addPackage(tree, 'core', 'plainplat', 'FROM scratch\nCOPY f /f\n', { f: 'f\n' });
  addPackage(tree, 'core', 'ep', `FROM stagex/core-busybox AS base
CMD ["from-base"]
FROM base
MAINTAINER Jane Doe <jane@example.org>
CMD ["kept"]
ENTRYPOINT ["/bin/echo"]
EXPOSE 8000-8002/UDP 9000
STOPSIGNAL SIGRTMIN+3
`);
  addPackage(tree, 'core', 'epreset', 'FROM stagex/core-ep\nENTRYPOINT ["/bin/sh", "-c"]\n');
  report = await buildTree({ tree, images: ['core-hc', 'core-hcnone', 'core-hcinherit', 'core-i386', 'core-fromplat', 'core-plainplat', 'core-ep', 'core-epreset'] });
  store = await OciStore.open(report.store);
});

test('HEALTHCHECK: Docker\'s Healthcheck member, replaced whole by a later HEALTHCHECK; skopeo reads it', async () => {
  // --raw: skopeo's parsed view is the OCI struct, which has no Healthcheck member
  const out = execFileSync('skopeo', ['inspect', '--raw', '--config', `oci:${report.store}:core-hc`], { encoding: 'utf8' });
  const cfg = JSON.parse(out) as ImageConfig;
  // consumers that know only the OCI fields still read the image
  const parsed = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci:${report.store}:core-hc`], { encoding: 'utf8' })) as ImageConfig;
  assert.equal(parsed.config?.User, '1000:1000');
  assert.deepEqual(cfg.config?.Healthcheck, { Test: ['CMD', '/bin/true', 'x'], StartInterval: 5_000_000_000 });
  const h = cfg.history!.map((e) => e.created_by);
  assert.ok(h.includes('HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=0 --retries=3 CMD wget -q -O- http://127.0.0.1/ || exit 1'), h.join('\n'));
});

test('HEALTHCHECK NONE records Test ["NONE"]; an image FROM a store image inherits its Healthcheck', async () => {
  assert.deepEqual((await config('core-hcnone')).config?.Healthcheck, { Test: ['NONE'] });
  const inherit = await config('core-hcinherit');
  assert.deepEqual(inherit.config?.Healthcheck, { Test: ['CMD', '/bin/true', 'x'], StartInterval: 5_000_000_000 });
  assert.deepEqual(inherit.config?.Labels, { 'org.example.k': 'v' });
  assert.equal(inherit.config?.User, '1000:1000');
});

test('the first stage\'s healthcheck durations are nanoseconds (a stage built alone)', async () => {
  const t = makeBusyboxTree('strata-config-hc1-');
  addPackage(t, 'core', 'hc1', 'FROM scratch\nCOPY f /f\nHEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=0 --retries=3 CMD wget -q -O- http://127.0.0.1/ || exit 1\n', { f: 'x' });
  const r = await buildTree({ tree: t, images: ['core-hc1'] });
  const s = await OciStore.open(r.store);
  const m = await s.readManifest((await s.resolveRef('core-hc1'))!.digest);
  const cfg = await s.readConfig(m.config.digest);
  assert.deepEqual(cfg.config?.Healthcheck, {
    Test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1/ || exit 1'],
    Interval: 90_000_000_000,
    Timeout: 1_500_000_000,
    Retries: 3,
  });
});

test('USER, VOLUME, EXPOSE, ENV and a relative WORKDIR reach the config', async () => {
  const c = (await config('core-hc')).config!;
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Volumes, { '/cache': {}, '/data': {} });
  assert.deepEqual(c.ExposedPorts, { '53/udp': {}, '80/tcp': {} });
  assert.ok(c.Env?.includes('A=1') && c.Env.includes('B=two words'), String(c.Env));
  assert.ok(c.Env?.some((e) => e.startsWith('PATH=')));
  assert.equal(c.WorkingDir, '/rel');
});

test('a linux/386 package: its exec-form RUN runs an i386 program; config, index and skopeo say 386', async () => {
  const cfg = await config('core-i386');
  assert.equal(cfg.architecture, '386');
  assert.equal(cfg.os, 'linux');
  const log = report.results.find((r) => r.image === 'core-i386')!.log;
  assert.match(readFileSync(log, 'utf8'), /hello from i386/);
  const desc = await store.resolveRef('core-i386');
  assert.deepEqual(desc?.platform, { architecture: '386', os: 'linux' });
  const out = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--config', `oci:${report.store}:core-i386`], { encoding: 'utf8' })) as ImageConfig;
  assert.equal(out.architecture, '386');
});

test('FROM --platform sets the stage\'s platform (normalised), inherited by FROM <stage>; without it the package\'s', async () => {
  const plat = await config('core-fromplat');
  assert.equal(plat.architecture, '386');
  assert.equal(plat.variant, undefined);
  assert.equal((await store.resolveRef('core-fromplat'))?.platform?.architecture, '386');
  assert.equal((await config('core-plainplat')).architecture, 'amd64');
});

test('a HEALTHCHECK duration Docker refuses fails the build at the flag: exit 2, nothing stored', async () => {
  const dir = addPackage(tree, 'core', 'badhc', 'FROM stagex/core-busybox\nHEALTHCHECK --timeout=10us CMD true\n');
  await assert.rejects(buildTree({ tree, images: ['core-badhc'] }), (e: unknown) => {
    assert.ok(e instanceof StrataError);
    assert.equal(e.code, 'build/bad-healthcheck-duration');
    assert.equal(e.kind, 'input');
    assert.deepEqual(e.location, { file: path.join(dir, 'Containerfile'), line: 2, col: 13 });
    return true;
  });
  assert.equal(await (await OciStore.open(report.store)).resolveRef('core-badhc'), undefined);
});

test('MAINTAINER is the config author; a CMD set before ENTRYPOINT in the same stage is kept, an inherited one dropped; EXPOSE ranges expand', async () => {
  const ep = await config('core-ep');
  assert.equal(ep.author, 'Jane Doe <jane@example.org>');
  assert.deepEqual(ep.config?.Entrypoint, ['/bin/echo']);
  assert.deepEqual(ep.config?.Cmd, ['kept']);
  assert.deepEqual(ep.config?.ExposedPorts, { '8000/udp': {}, '8001/udp': {}, '8002/udp': {}, '9000/tcp': {} });
  assert.equal(ep.config?.StopSignal, 'SIGRTMIN+3');
  const reset = await config('core-epreset');
  assert.deepEqual(reset.config?.Entrypoint, ['/bin/sh', '-c']);
  assert.equal(reset.config?.Cmd, undefined);
  assert.equal(reset.author, 'Jane Doe <jane@example.org>', 'author is inherited');
});

test('a bad EXPOSE port or STOPSIGNAL fails the build at its line: exit 2, nothing stored', async () => {
  for (const [name, line, code] of [['badport', 'EXPOSE 80 70000/tcp', 'build/bad-expose'], ['badsig', 'STOPSIGNAL SIGFOO', 'build/bad-stopsignal']] as const) {
    const dir = addPackage(tree, 'core', name, `FROM stagex/core-busybox\n${line}\n`);
    await assert.rejects(buildTree({ tree, images: [`core-${name}`] }), (e: unknown) => {
      assert.ok(e instanceof StrataError, name);
      assert.equal(e.code, code);
      assert.equal(e.exitCode, 2);
      assert.deepEqual(e.location, { file: path.join(dir, 'Containerfile'), line: 2, col: 1 });
      return true;
    });
    assert.equal(await (await OciStore.open(report.store)).resolveRef(`core-${name}`), undefined);
  }
});
