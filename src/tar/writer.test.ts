import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TarEntry } from './entry.js';
import { encodeHeader, splitUstarName } from './header.js';
import { prepareEntries } from './prepare.js';
import { readTar } from './reader.js';
import { bytesSource, collectBytes, writeTarEntries } from './writer.js';
import { StrataError } from '../errors.js';

const EPOCH = 1;
const GNU = ['--format=ustar', '--sort=name', '--mtime=@1', '--owner=0', '--group=0', '--numeric-owner'];
const te = new TextEncoder();

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'strata-tar-'));
}

async function archive(entries: TarEntry[]): Promise<Uint8Array> {
  return collectBytes(writeTarEntries(entries, { sourceDateEpoch: EPOCH }));
}

function field(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.subarray(off, off + len)).toString('latin1');
}

test('a directory header is byte-exact: fields, padding and checksum as GNU tar writes them', () => {
  const [e] = prepareEntries([{ path: 'a', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 100 }], { sourceDateEpoch: EPOCH });
  const h = encodeHeader(e!);
  assert.equal(h.length, 512);
  assert.equal(field(h, 0, 3), 'a/\0');
  assert.equal(field(h, 100, 8), '0000755\0');
  assert.equal(field(h, 108, 8), '0000000\0');
  assert.equal(field(h, 116, 8), '0000000\0');
  assert.equal(field(h, 124, 12), '00000000000\0');
  assert.equal(field(h, 136, 12), '00000000001\0', 'mtime 100 is clamped to SOURCE_DATE_EPOCH 1');
  assert.equal(field(h, 148, 8), '007426\0 ');
  assert.equal(field(h, 156, 1), '5');
  assert.equal(field(h, 257, 8), 'ustar\x0000');
  assert.equal(field(h, 265, 64), '\0'.repeat(64), 'uname and gname are empty');
  assert.equal(field(h, 329, 16), '0000000\0'.repeat(2));
  assert.equal(field(h, 345, 167), '\0'.repeat(167));
});

test('older mtimes are kept, newer are clamped', () => {
  const p = prepareEntries(
    [
      { path: 'old', type: 'file', mode: 0o644, mtime: 0.9, size: 0 },
      { path: 'new', type: 'file', mode: 0o644, mtime: 5e9, size: 0 },
    ],
    { sourceDateEpoch: 1000 },
  );
  assert.deepEqual(p.map((e) => [e.path, e.mtime]), [['new', 1000], ['old', 0]]);
});

test('the archive equals GNU tar --format=ustar --sort=name output for the same tree', async () => {
  const dir = tmp();
  try {
    const longDir = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    mkdirSync(path.join(dir, 'a', 'sub'), { recursive: true });
    mkdirSync(path.join(dir, 'b'));
    mkdirSync(path.join(dir, longDir), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'f'), 'hello\n');
    writeFileSync(path.join(dir, 'a', 'sub', 'big'), Buffer.alloc(1500, 7));
    writeFileSync(path.join(dir, 'a', 'x.sh'), '#!/bin/sh\n');
    writeFileSync(path.join(dir, longDir, 'file-with-a-long-name'), 'x');
    linkSync(path.join(dir, 'a', 'f'), path.join(dir, 'b', 'hard'));
    symlinkSync('../a/f', path.join(dir, 'b', 'link'));
    chmodSync(path.join(dir, 'a', 'x.sh'), 0o4755);
    chmodSync(path.join(dir, 'a', 'f'), 0o640);
    chmodSync(path.join(dir, 'a', 'sub'), 0o700);
    const files: TarEntry[] = [
      { path: 'a', type: 'dir', mode: 0o755, mtime: 9 },
      { path: 'a/f', type: 'file', mode: 0o640, mtime: 9, size: 6, content: bytesSource('hello\n'), inode: 'f' },
      { path: 'a/sub', type: 'dir', mode: 0o700, mtime: 9 },
      { path: 'a/sub/big', type: 'file', mode: 0o644, mtime: 9, size: 1500, content: bytesSource(new Uint8Array(1500).fill(7)) },
      { path: 'a/x.sh', type: 'file', mode: 0o4755, mtime: 9, size: 10, content: bytesSource('#!/bin/sh\n') },
      { path: 'b', type: 'dir', mode: 0o755, mtime: 9 },
      { path: 'b/hard', type: 'file', mode: 0o640, mtime: 9, size: 6, content: bytesSource('hello\n'), inode: 'f' },
      { path: 'b/link', type: 'symlink', mode: 0o777, mtime: 9, linkname: '../a/f' },
      { path: 'd'.repeat(60), type: 'dir', mode: 0o755, mtime: 9 },
      { path: longDir, type: 'dir', mode: 0o755, mtime: 9 },
      { path: `${longDir}/file-with-a-long-name`, type: 'file', mode: 0o644, mtime: 9, size: 1, content: bytesSource('x') },
    ];
    for (const p of ['a', 'b', 'd'.repeat(60), longDir]) chmodSync(path.join(dir, p), p === 'a/sub' ? 0o700 : 0o755);
    chmodSync(path.join(dir, 'a', 'sub', 'big'), 0o644);
    chmodSync(path.join(dir, longDir, 'file-with-a-long-name'), 0o644);
    const ours = await archive(files.reverse());
    const gnu = execFileSync('tar', [...GNU, '-C', dir, '-cf', '-', 'a', 'b', 'd'.repeat(60)], { maxBuffer: 1 << 24 });
    assert.ok(gnu.length >= ours.length);
    assert.ok(gnu.subarray(ours.length).every((x) => x === 0), 'GNU tar only adds record padding');
    assert.equal(Buffer.from(ours).toString('hex'), gnu.subarray(0, ours.length).toString('hex'));
    const listing = (b: Uint8Array): string => execFileSync('tar', ['-tvf', '-'], { input: b }).toString();
    assert.equal(listing(ours), listing(gnu));
    assert.match(listing(ours), /hrw-r----- 0\/0 +0 1970-01-01 00:00 b\/hard link to a\/f/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths sort by whole path as UTF-8 bytes, parents first', async () => {
  const e = (p: string, type: 'dir' | 'file' = 'dir'): TarEntry => ({ path: p, type, mode: 0o755, mtime: 1, size: 0 });
  const p = prepareEntries([e('a-b'), e('a/b'), e('a'), e('é', 'file'), e('z', 'file'), e('a/B', 'file')], { sourceDateEpoch: 1 });
  assert.deepEqual(p.map((x) => x.name), ['a/', 'a-b/', 'a/B', 'a/b/', 'z', 'é']);
});

test('PAX headers appear only when a value does not fit ustar, and GNU tar reads them', async () => {
  const deep = Array.from({ length: 6 }, (_, i) => `component-${i}-${'x'.repeat(40)}`);
  const entries: TarEntry[] = [];
  for (let i = 1; i <= deep.length; i++) entries.push({ path: deep.slice(0, i).join('/'), type: 'dir', mode: 0o755, mtime: 1 });
  const longFile = `${deep.join('/')}/f`;
  entries.push({ path: longFile, type: 'file', mode: 0o644, mtime: 1, size: 2, content: bytesSource('hi'), uid: 3000000, gid: 5 });
  entries.push({ path: 'short', type: 'file', mode: 0o644, mtime: -5, size: 0, xattrs: { 'user.b': te.encode('2'), 'user.a': te.encode('1') } });
  const bytes = await archive(entries);
  const text = Buffer.from(bytes).toString('latin1');
  assert.equal(text.split('././@PaxHeader').length - 1, 5, 'dirs 4–6 and the file do not fit ustar (name > 100 after the split), plus short (xattrs, mtime)');
  assert.ok(text.includes(' uid=3000000\n'));
  assert.ok(text.indexOf('SCHILY.xattr.user.a=1') < text.indexOf('SCHILY.xattr.user.b=2'), 'xattrs sorted');
  assert.ok(text.includes(' mtime=-5\n'));
  const listing = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: bytes }).toString();
  assert.ok(listing.includes(`3000000/5`));
  assert.ok(listing.includes(longFile));
  const seen = [];
  for await (const { header, body } of readTar([bytes])) {
    const data = await collectBytes(body);
    seen.push([header.name, header.uid, header.mtime, Buffer.from(data).toString()]);
    if (header.name === 'short') assert.deepEqual(Object.keys(header.xattrs), ['user.a', 'user.b']);
  }
  assert.deepEqual(seen.at(-2), [longFile, 3000000, 1, 'hi']);
  assert.deepEqual(seen.at(-1), ['short', 0, -5, '']);
});

test('whiteouts and opaque markers are spelled as in the OCI spec, fixed metadata', async () => {
  const bytes = await archive([
    { path: 'etc', type: 'dir', mode: 0o755, mtime: 1 },
    { path: 'etc/gone', type: 'whiteout' },
    { path: 'etc', type: 'opaque' },
  ]);
  const names = [];
  for await (const { header } of readTar([bytes])) names.push([header.name, header.kind, header.mode, header.size]);
  assert.deepEqual(names, [
    ['etc/', 'dir', 0o755, 0],
    ['etc/.wh..wh..opq', 'file', 0, 0],
    ['etc/.wh.gone', 'file', 0, 0],
  ]);
});

test('GNU-format and PAX-format archives from GNU tar are read', async () => {
  const dir = tmp();
  try {
    const long = 'n'.repeat(150);
    mkdirSync(path.join(dir, 'top'));
    writeFileSync(path.join(dir, 'top', long), 'data');
    symlinkSync('t'.repeat(120), path.join(dir, 'top', 'l'));
    for (const format of ['gnu', 'posix', 'v7']) {
      if (format === 'v7') continue;
      const b = execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', dir, '-cf', '-', 'top']);
      const got: string[] = [];
      for await (const { header, body } of readTar([b])) {
        got.push(`${header.name}|${header.kind}|${header.linkname}|${Buffer.from(await collectBytes(body)).toString()}`);
      }
      assert.deepEqual(got, ['top/|dir||', `top/l|symlink|${'t'.repeat(120)}|`, `top/${long}|file||data`], format);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad entry lists are refused with their codes', async () => {
  const cases: [TarEntry[], string][] = [
    [[{ path: 'a', type: 'file', mode: 0o644, mtime: 1, size: 0 }, { path: 'a', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/duplicate'],
    [[{ path: 'a/b', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/missing-parent'],
    [[{ path: '../x', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/bad-path'],
    [[{ path: '/x', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/bad-path'],
    [[{ path: '.wh.x', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/reserved-name'],
    [[{ path: 'x', type: 'file', mode: 0o644, mtime: 1, size: 0, xattrs: { 'trusted.overlay.opaque': te.encode('y') } }], 'tar/overlay-xattr'],
    [[{ path: 'x', type: 'file', mode: 0o644, mtime: 1, size: 0, devmajor: 1 }], 'tar/bad-field'],
    [[{ path: 'a', type: 'hardlink', mode: 0o644, mtime: 1, linkname: 'b' }, { path: 'b', type: 'file', mode: 0o644, mtime: 1, size: 0 }], 'tar/hardlink-order'],
    [[{ path: 'x', type: 'file', mode: 0o10000, mtime: 1, size: 0 }], 'tar/bad-field'],
  ];
  for (const [entries, code] of cases) {
    assert.throws(() => prepareEntries(entries, { sourceDateEpoch: 1 }), (e: unknown) => e instanceof StrataError && e.code === code, code);
  }
  await assert.rejects(
    archive([{ path: 'f', type: 'file', mode: 0o644, mtime: 1, size: 3, content: bytesSource('four') }]),
    (e: unknown) => e instanceof StrataError && e.code === 'tar/size-changed',
  );
});

test('splitUstarName follows GNU tar: rightmost slash within the prefix field', () => {
  const name = te.encode(`${'p'.repeat(50)}/${'q'.repeat(50)}/${'r'.repeat(60)}`);
  const s = splitUstarName(name)!;
  assert.equal(new TextDecoder().decode(s.prefix), `${'p'.repeat(50)}/${'q'.repeat(50)}`);
  assert.equal(splitUstarName(te.encode('x'.repeat(101))), undefined);
});
