import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseContainerfile } from '../containerfile/parser.js';
import type { RunInstruction } from '../containerfile/types.js';
import { cacheKey, type CacheKeyInput } from './cache-key.js';
import { setDigestLine } from './digests-file.js';
import { resolveInRoot, type FsNode, type SourceFs } from './layered-fs.js';
import { expandHeredocBody, runArgv } from './stage.js';

const H = (c: string) => c.repeat(64);

test('setDigestLine: replaces only that line, sorted by name, drops nothing else', () => {
  const text = `${H('b')} core-b\n${H('a')} core-a\n`;
  assert.equal(setDigestLine(text, 'core-a', H('c')), `${H('c')} core-a\n${H('b')} core-b\n`);
  assert.equal(setDigestLine('', 'core-z', H('d')), `${H('d')} core-z\n`);
  assert.equal(setDigestLine(`${H('b')} core-b\n`, 'core-a', H('a')), `${H('a')} core-a\n${H('b')} core-b\n`);
});

const base: CacheKeyInput = {
  image: 'core-x', target: undefined, targetIndex: 0, containerfile: H('1'), packageToml: H('2'),
  context: [{ path: 'f', kind: 'file', exec: false, sha256: H('3') }], sources: [{ file: 's', hash: H('4') }], seed: undefined,
  deps: { 'core-y': `sha256:${H('5')}` }, buildArgs: { VERSION: '1' }, platform: 'linux/amd64', sourceDateEpoch: 1, namespace: 'stagex', network: false,
};

test('cacheKey: stable, and every input changes it', () => {
  assert.equal(cacheKey(base), cacheKey({ ...base, buildArgs: { VERSION: '1' } }));
  const variants: Partial<CacheKeyInput>[] = [
    { image: 'core-z' }, { target: 'package-a' }, { targetIndex: 1 }, { containerfile: H('9') }, { packageToml: H('9') },
    { context: [{ path: 'f', kind: 'file', exec: true, sha256: H('3') }] }, { sources: [{ file: 's', hash: H('9') }] }, { seed: H('9') },
    { deps: { 'core-y': `sha256:${H('9')}` } }, { buildArgs: { VERSION: '2' } }, { platform: 'linux/386' }, { sourceDateEpoch: 2 },
    { namespace: 'other' }, { network: true },
  ];
  const keys = new Set([cacheKey(base), ...variants.map((v) => cacheKey({ ...base, ...v }))]);
  assert.equal(keys.size, variants.length + 1);
});

function run(text: string): RunInstruction {
  return parseContainerfile(`FROM scratch\n${text}`, 'Containerfile').stages[0]!.instructions[0] as RunInstruction;
}

test('runArgv: exec form, shell form, heredoc-only script, heredocs fed to a command', () => {
  const sh = ['/bin/sh', '-c'];
  assert.deepEqual(runArgv(run('RUN ["a", "b"]\n'), sh), ['a', 'b']);
  assert.deepEqual(runArgv(run('RUN echo $X\n'), sh), ['/bin/sh', '-c', 'echo $X']);
  assert.deepEqual(runArgv(run('RUN <<EOF\necho 1\nEOF\n'), sh), ['/bin/sh', '-c', 'echo 1\n']);
  assert.deepEqual(runArgv(run('RUN cat <<A > /o\nx\nA\n'), ['/bin/bash', '-c']), ['/bin/bash', '-c', 'cat <<A > /o\nx\nA\n']);
});

test('expandHeredocBody: $NAME and ${NAME}, unset → empty', () => {
  const vars: Record<string, string> = { A: '1', B: '2' };
  assert.equal(expandHeredocBody('$A ${B} $C x$', (n) => vars[n]), '1 2  x$');
});

class MapFs implements SourceFs {
  readonly label = 'test';
  constructor(private readonly nodes: Record<string, Partial<FsNode>>) {}
  node(rel: string): FsNode | undefined {
    const n = rel === '' ? { kind: 'dir' as const } : this.nodes[rel];
    return n ? { kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0, abs: '', ...n } : undefined;
  }
  list(): string[] {
    return [];
  }
}

test('resolveInRoot: symlinks followed, absolute targets and .. clamped to the root', () => {
  const fs = new MapFs({ lib: { kind: 'symlink', linkTarget: 'usr/lib' }, usr: { kind: 'dir' }, 'usr/lib': { kind: 'dir' }, up: { kind: 'symlink', linkTarget: '../../../etc' }, abs: { kind: 'symlink', linkTarget: '/usr' } });
  assert.equal(resolveInRoot(fs, '/lib/x', true), 'usr/lib/x');
  assert.equal(resolveInRoot(fs, 'lib', false), 'lib');
  assert.equal(resolveInRoot(fs, 'up/passwd', true), 'etc/passwd');
  assert.equal(resolveInRoot(fs, '/abs/lib', true), 'usr/lib');
  assert.equal(resolveInRoot(fs, '../../x', true), 'x');
});
