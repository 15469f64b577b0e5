import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError } from '../errors.js';
import { parseContainerfile } from './parser.js';
import { globalScope, parsePlatform, platformArgs, resolveFromImages, resolveStages, stageDependencies, stagesNeeded, StageScope } from './scope.js';

test('platformArgs for amd64, 386 and arm64/v8', () => {
  assert.deepEqual(platformArgs('linux/amd64', 'linux/amd64'), {
    TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '',
    BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
  });
  const a = platformArgs('linux/386', 'linux/amd64');
  assert.equal(a.TARGETARCH, '386');
  assert.equal(a.TARGETPLATFORM, 'linux/386');
  assert.equal(a.BUILDARCH, 'amd64');
  const b = platformArgs('linux/arm64/v8');
  assert.equal(b.TARGETARCH, 'arm64');
  assert.equal(b.TARGETVARIANT, '');
  assert.equal(b.TARGETPLATFORM, 'linux/arm64');
  assert.equal(platformArgs('linux/arm').TARGETVARIANT, 'v7');
  assert.equal(platformArgs('linux/x86_64').TARGETARCH, 'amd64');
  assert.equal(platformArgs('linux/arm/v6').TARGETPLATFORM, 'linux/arm/v6');
});

test('bad platforms are input errors', () => {
  for (const p of ['linux', 'linux/amd64/v1/x', '', 'linux//amd64', 'linux/am d64']) {
    assert.throws(() => parsePlatform(p), (e: unknown) => e instanceof StrataError && e.code === 'containerfile/bad-platform', p);
  }
});

const CF = `ARG NS=stagex
ARG VERSION=1.0
ARG UNDECLARED_DEFAULT=\${NS}-x
FROM \${NS}/core-busybox:\${VERSION} AS fetch
ARG VERSION
ARG NS
ARG LOCAL=l-\${VERSION}
ENV E=env-\${LOCAL}
COPY --from=\${NS}/core-zlib . /
FROM fetch AS build
ARG TARGETARCH
ENV ARCH=\${TARGETARCH}
COPY --from=fetch / /
COPY --from=0 / /
COPY --from=\${NS}/core-\${TARGETARCH} / /
FROM --platform=\${BUILDPLATFORM} \${NS}/\${TARGETARCH}-image
COPY --from=\${NS}/x-\${TARGETARCH} / /
`;

test('global scope: platform args, defaults, build args override declared ARGs only', () => {
  const cf = parseContainerfile(CF, 'Containerfile');
  const g = globalScope(cf, { buildArgs: { VERSION: '2.0', OTHER: 'x' }, platform: 'linux/386' });
  assert.equal(g.get('NS'), 'stagex');
  assert.equal(g.get('VERSION'), '2.0');
  assert.equal(g.get('UNDECLARED_DEFAULT'), 'stagex-x');
  assert.equal(g.get('TARGETARCH'), '386');
  assert.equal(g.has('OTHER'), false);
});

test('resolveFromImages expands FROM words with global ARGs and platform args', () => {
  const cf = parseContainerfile(CF, 'Containerfile');
  assert.deepEqual(resolveFromImages(cf, { buildArgs: {}, platform: 'linux/amd64' }), [
    'stagex/core-busybox:1.0', 'fetch', 'stagex/amd64-image',
  ]);
  assert.deepEqual(resolveFromImages(cf, { buildArgs: { NS: 'acme' }, platform: 'linux/386' }), [
    'acme/core-busybox:1.0', 'fetch', 'acme/386-image',
  ]);
});

test('resolveStages: stage ARGs must be re-declared; ENV inherited from base stage; COPY --from resolved', () => {
  const cf = parseContainerfile(CF, 'Containerfile');
  const [s0, s1, s2] = resolveStages(cf, { buildArgs: { VERSION: '3' }, platform: 'linux/arm64' });
  assert.ok(s0 && s1 && s2);
  assert.equal(s0.image, 'stagex/core-busybox:3');
  assert.equal(s0.baseStage, undefined);
  assert.deepEqual(s0.copyFrom.map((c) => [c.value, c.stage]), [['stagex/core-zlib', undefined]]);
  assert.deepEqual(s0.copyFrom[0]!.location, { file: 'Containerfile', line: 9, col: 6 });
  assert.equal(s1.baseStage, 0);
  assert.equal(s1.name, 'build');
  // NS is not re-declared in stage 1: ${NS} expands to empty.
  assert.deepEqual(s1.copyFrom.map((c) => [c.value, c.stage]), [['fetch', 0], ['0', 0], ['/core-arm64', undefined]]);
  assert.equal(s2.platform, 'linux/arm64');
  assert.equal(s2.image, 'stagex/arm64-image');
  // TARGETARCH is not declared in stage 2.
  assert.deepEqual(s2.copyFrom.map((c) => c.value), ['/x-']);
});

test('StageScope: ARG without default inherits the global value; ENV wins over ARG', () => {
  const cf = parseContainerfile('ARG G=global\nFROM scratch\nARG G\nARG H=\${G}-h\nENV H=env\nARG H=again\n', 'Containerfile');
  const scope = new StageScope(cf, globalScope(cf, { buildArgs: {}, platform: 'linux/amd64' }), {});
  const ins = cf.stages[0]!.instructions;
  scope.apply(ins[0]!);
  assert.equal(scope.lookup('G'), 'global');
  scope.apply(ins[1]!);
  assert.equal(scope.lookup('H'), 'global-h');
  scope.apply(ins[2]!);
  scope.apply(ins[3]!);
  assert.equal(scope.lookup('H'), 'env');
  assert.deepEqual(scope.argEntries(), [['G', 'global'], ['H', 'again']]);
  assert.equal(scope.expand('"$G" \'$G\'', { line: 1, col: 1 }), "global $G");
});

test('a bad substitution in a FROM line is reported at that line', () => {
  const cf = parseContainerfile('FROM stagex/${X\n', 'pkgs/x/Containerfile');
  assert.throws(() => resolveFromImages(cf, { buildArgs: {}, platform: 'linux/amd64' }),
    (e: unknown) => e instanceof StrataError && e.code === 'containerfile/bad-substitution' && e.location?.line === 1 && e.location.file === 'pkgs/x/Containerfile');
});

test('stagesNeeded walks FROM-stage and COPY --from-stage links back from the target only', () => {
  const cf = parseContainerfile(
    [
      'FROM scratch AS a',
      'FROM a AS b',
      'FROM scratch AS unused',
      'FROM scratch AS c',
      'COPY --from=b /x /x',
      'COPY --from=0 /y /y',
      'FROM c AS d',
    ].join('\n'),
    'C',
  );
  const stages = resolveStages(cf, { buildArgs: {}, platform: 'linux/amd64' });
  const deps = (i: number): number[] => stageDependencies(stages[i]!);
  assert.deepEqual([...stagesNeeded(4, deps)].sort(), [0, 1, 3, 4]);
  assert.deepEqual([...stagesNeeded(2, deps)], [2]);
  assert.deepEqual(deps(3), [1, 0]);
});
