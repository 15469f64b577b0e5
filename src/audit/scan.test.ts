// The audit's I/O edge: classifying files and cached sources (compressed, nested in tar,
// damaged), listing package directories, decoding seeds. Fixtures are written at test time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SourceCache } from '../source/cache.js';
import { bytesSource, collectBytes, writeTarEntries } from '../tar/writer.js';
import type { TarEntry } from '../tar/entry.js';
import { classifyContent, fileFacts, LISTED_EXECUTABLES, listPackageDir, sourceFacts } from './scan.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-audit-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ELF = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const AR = new TextEncoder().encode('!<arch>\n/               0           0     0     0       0         `\n');

async function tarOf(files: Record<string, Uint8Array | string>): Promise<Uint8Array> {
  const entries: TarEntry[] = Object.entries(files).map(([p, c]) => {
    const bytes = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    return { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: bytes.length, content: bytesSource(bytes) };
  });
  return collectBytes(writeTarEntries(entries, { sourceDateEpoch: 1, parents: 'ignore' }));
}

function write(dir: string, name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

test('plain files: text, ELF, other binary, shebang script, empty', async (t) => {
  const d = tmp(t);
  assert.deepEqual(await classifyContent(write(d, 'a.txt', 'hello €\n'), 'a'), { kind: 'text' });
  assert.deepEqual(await classifyContent(write(d, 'run.sh', '#!/bin/sh\nexit 0\n'), 'b'), { kind: 'text' });
  assert.deepEqual(await classifyContent(write(d, 'empty', ''), 'c'), { kind: 'text' });
  assert.deepEqual(await classifyContent(write(d, 'tool', ELF), 'd'), { kind: 'executable', format: 'ELF' });
  assert.deepEqual(await classifyContent(write(d, 'libx.a', AR), 'e'), { kind: 'executable', format: 'ar archive (static library or package)' });
  assert.deepEqual(await classifyContent(write(d, 'logo.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'f'), { kind: 'binary' });
  const big = new Uint8Array(600_000).fill(0x61);
  big[599_999] = 0;
  assert.deepEqual(await classifyContent(write(d, 'late-nul', big), 'g'), { kind: 'binary' }, 'a NUL far into the file is found');
  const facts = await fileFacts(path.join(d, 'tool'), 'tool');
  assert.equal(facts.size, ELF.length);
  assert.equal(facts.sha256, createHash('sha256').update(ELF).digest('hex'));
});

test('archives: members are inspected after gzip and xz; compressed non-tar files by their content', async (t) => {
  const d = tmp(t);
  const dirty = await tarOf({ 'src/main.c': 'int main(){}\n', 'bin/cc': ELF, 'lib/libc.a': AR, 'img.png': Uint8Array.from([0x89, 0x50, 0, 0]) });
  const gz = await classifyContent(write(d, 'dirty.tar.gz', gzipSync(dirty)), 'dirty');
  assert.deepEqual(gz, {
    kind: 'archive', compression: 'gzip', members: 4, executableCount: 2,
    executables: [{ member: 'bin/cc', format: 'ELF' }, { member: 'lib/libc.a', format: 'ar archive (static library or package)' }],
  });
  const xz = spawnSync('xz', ['-c', '-0'], { input: dirty });
  assert.equal(xz.status, 0);
  const viaXz = await classifyContent(write(d, 'dirty.tar.xz', xz.stdout), 'dirty-xz');
  assert.equal(viaXz.kind, 'archive');
  assert.equal(viaXz.kind === 'archive' && viaXz.compression, 'xz');
  assert.equal(viaXz.kind === 'archive' && viaXz.executableCount, 2);

  const clean = await classifyContent(write(d, 'clean.tar', await tarOf({ 'a/README': 'hi\n', 'a/data.bin': Uint8Array.from([0, 1, 2]) })), 'clean');
  assert.deepEqual(clean, { kind: 'archive', compression: 'none', members: 2, executables: [], executableCount: 0 }, 'data that is not an executable format is fine inside a source archive');

  const many: Record<string, Uint8Array> = {};
  for (let i = 0; i < LISTED_EXECUTABLES + 3; i++) many[`bin/t${i}`] = ELF;
  const m = await classifyContent(write(d, 'many.tar', await tarOf(many)), 'many');
  assert.equal(m.kind === 'archive' && m.executables.length, LISTED_EXECUTABLES);
  assert.equal(m.kind === 'archive' && m.executableCount, LISTED_EXECUTABLES + 3);

  assert.deepEqual(await classifyContent(write(d, 'tool.gz', gzipSync(ELF)), 'g'), { kind: 'executable', format: 'gzip-compressed ELF' });
  assert.deepEqual(await classifyContent(write(d, 'fix.patch.gz', gzipSync('--- a\n+++ b\n')), 'p'), { kind: 'text' });
});

test('damaged archives are unreadable, not a crash', async (t) => {
  const d = tmp(t);
  const good = gzipSync(await tarOf({ 'a.txt': 'x\n'.repeat(5000) }));
  const cut = good.subarray(0, Math.floor(good.length / 2));
  const r = await classifyContent(write(d, 'cut.tar.gz', cut), 'cut');
  assert.equal(r.kind, 'unreadable');
  const tarBytes = await tarOf({ 'a.txt': 'hello\n' });
  tarBytes[148] = 0x37; // break the header checksum
  tarBytes[149] = 0x37;
  const bad = await classifyContent(write(d, 'bad.tar', tarBytes), 'bad');
  assert.equal(bad.kind, 'unreadable', JSON.stringify(bad));
});

test('sourceFacts: missing, corrupt in the cache, cached with its content', async (t) => {
  const cache = new SourceCache(tmp(t));
  const bytes = await tarOf({ 'x/y.c': 'int y;\n' });
  const hash = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual(await sourceFacts(cache, hash, 'x'), { state: 'missing' });
  mkdirSync(path.dirname(cache.path(hash)), { recursive: true });
  writeFileSync(cache.path(hash), bytes);
  const ok = await sourceFacts(cache, hash, 'x');
  assert.equal(ok.state, 'cached');
  assert.equal(ok.state === 'cached' && ok.content.kind, 'archive');
  writeFileSync(cache.path(hash), 'tampered');
  const corrupt = await sourceFacts(cache, hash, 'x');
  assert.equal(corrupt.state, 'corrupt');
  assert.equal(corrupt.state === 'corrupt' && corrupt.actual, createHash('sha256').update('tampered').digest('hex'));
});

test('listPackageDir: files, directories, symlinks with their targets, sorted', async (t) => {
  const d = tmp(t);
  mkdirSync(path.join(d, 'b/c'), { recursive: true });
  writeFileSync(path.join(d, 'b/c/f'), 'x');
  writeFileSync(path.join(d, 'a'), 'x');
  symlinkSync('b/c/f', path.join(d, 'l'));
  const l = await listPackageDir(d);
  assert.deepEqual([...l], [
    ['a', { kind: 'file' }],
    ['b', { kind: 'dir' }],
    ['b/c', { kind: 'dir' }],
    ['b/c/f', { kind: 'file' }],
    ['l', { kind: 'symlink', target: 'b/c/f' }],
  ]);
});
