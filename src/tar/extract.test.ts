import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';
import type { PreparedEntry } from './entry.js';
import { encodeHeader, padLength } from './header.js';
import { extractTar, safeEntryPath } from './extract.js';
import { openDecompressed } from './decompress.js';
import { bytesSource, collectBytes, writeTarEntries } from './writer.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'strata-extract-'));
}

/** A raw archive built from headers directly, bypassing prepareEntries' checks (malicious input). */
function raw(entries: Partial<PreparedEntry>[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.content ? new TextEncoder().encode('x'.repeat(e.size ?? 0)) : new Uint8Array(0);
    const full: PreparedEntry = {
      name: '', path: '', typeflag: '0', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 0, linkname: '', devmajor: -1, devminor: -1, xattrs: [], content: undefined,
      ...e,
    };
    out.push(encodeHeader(full), data, new Uint8Array(padLength(data.length)));
  }
  out.push(new Uint8Array(1024));
  return out;
}

const file = (name: string, size = 1): Partial<PreparedEntry> => ({ name, typeflag: '0', size, content: bytesSource('x') });

test('safeEntryPath normalises and refuses escapes', () => {
  assert.equal(safeEntryPath('./a//b/./c/'), 'a/b/c');
  assert.equal(safeEntryPath('./'), '');
  for (const [name, code] of [['/etc/passwd', 'tar/absolute-path'], ['../x', 'tar/parent-escape'], ['a/../../x', 'tar/parent-escape'], ['a/..', 'tar/parent-escape']]) {
    assert.throws(() => safeEntryPath(name!), (e: unknown) => e instanceof StrataError && e.code === code && e.exitCode === 2, name);
  }
});

test('each escaping archive is refused with its code and writes nothing outside the root', async () => {
  const cases: [string, Partial<PreparedEntry>[], string][] = [
    ['dot-dot', [file('../evil')], 'tar/parent-escape'],
    ['nested dot-dot', [{ name: 'a/', typeflag: '5', mode: 0o755 }, file('a/../../evil')], 'tar/parent-escape'],
    ['absolute', [file('/tmp/evil')], 'tar/absolute-path'],
    ['symlink then file', [{ name: 'l', typeflag: '2', linkname: '..' }, file('l/evil')], 'tar/through-symlink'],
    ['absolute symlink then file', [{ name: 'l', typeflag: '2', linkname: '/tmp' }, file('l/evil')], 'tar/through-symlink'],
    ['symlink then dir', [{ name: 'l', typeflag: '2', linkname: '..' }, { name: 'l/d/', typeflag: '5' }], 'tar/through-symlink'],
    ['hardlink outside', [{ name: 'h', typeflag: '1', linkname: '../outside' }], 'tar/parent-escape'],
    ['hardlink absolute', [{ name: 'h', typeflag: '1', linkname: '/etc/passwd' }], 'tar/hardlink-escape'],
    ['hardlink through symlink', [{ name: 'l', typeflag: '2', linkname: '..' }, { name: 'h', typeflag: '1', linkname: 'l/outside' }], 'tar/through-symlink'],
    ['hardlink to missing', [{ name: 'h', typeflag: '1', linkname: 'nope' }], 'tar/hardlink-escape'],
    ['dir replaced by file', [{ name: 'd/', typeflag: '5' }, file('d')], 'tar/replace-directory'],
    ['whiteout where not allowed', [file('.wh.x', 0)], 'tar/whiteout'],
    ['device', [{ name: 'null', typeflag: '3', devmajor: 1, devminor: 3 }], 'tar/device'],
  ];
  for (const [what, entries, code] of cases) {
    const base = tmp();
    try {
      const root = path.join(base, 'root');
      mkdirSync(root);
      writeFileSync(path.join(base, 'outside'), 'secret');
      await assert.rejects(extractTar(raw(entries), root, { label: what }), (e: unknown) => e instanceof StrataError && e.code === code && e.exitCode === 2, what);
      assert.deepEqual(execFileSync('find', [base, '-newer', path.join(base, 'outside'), '-not', '-path', `${root}*`]).toString(), '', `${what}: nothing outside`);
      assert.equal(readFileSync(path.join(base, 'outside'), 'utf8'), 'secret');
      assert.ok(!existsSync(path.join(base, 'evil')) && !existsSync('/tmp/evil'));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
});

test('a symlink already in the destination is never followed', async () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    mkdirSync(root);
    mkdirSync(path.join(base, 'victim'));
    symlinkSync('../victim', path.join(root, 'd'));
    symlinkSync('../outside', path.join(root, 'f'));
    await assert.rejects(extractTar(raw([file('d/x')]), root), (e: unknown) => e instanceof StrataError && e.code === 'tar/through-symlink');
    await extractTar(raw([file('f', 3)]), root);
    assert.ok(lstatSync(path.join(root, 'f')).isFile(), 'the planted symlink was replaced, not written through');
    assert.ok(!existsSync(path.join(base, 'outside')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a strata archive extracts to the same tree: modes, links, mtimes, hardlinks', async () => {
  const base = tmp();
  try {
    const bytes = await collectBytes(
      writeTarEntries(
        [
          { path: 'bin', type: 'dir', mode: 0o755, mtime: 1 },
          { path: 'bin/tool', type: 'file', mode: 0o4755, mtime: 1, size: 3, content: bytesSource('abc'), inode: 'i' },
          { path: 'bin/tool2', type: 'file', mode: 0o4755, mtime: 1, size: 3, content: bytesSource('abc'), inode: 'i' },
          { path: 'bin/sh', type: 'symlink', mode: 0o777, mtime: 1, linkname: '/bin/busybox' },
          { path: 'ro', type: 'dir', mode: 0o555, mtime: 1 },
          { path: 'ro/f', type: 'file', mode: 0o444, mtime: 0, size: 0 },
          { path: 'fifo', type: 'fifo', mode: 0o600, mtime: 1 },
        ],
        { sourceDateEpoch: 1 },
      ),
    );
    const r = await extractTar([bytes], base);
    assert.equal(r.entries, 7);
    const st = lstatSync(path.join(base, 'bin', 'tool'));
    assert.equal(st.mode & 0o7777, 0o4755);
    assert.equal(st.nlink, 2);
    assert.equal(st.ino, lstatSync(path.join(base, 'bin', 'tool2')).ino);
    assert.equal(readlinkSync(path.join(base, 'bin', 'sh')), '/bin/busybox');
    assert.equal(lstatSync(path.join(base, 'ro')).mode & 0o7777, 0o555);
    assert.equal(lstatSync(path.join(base, 'ro')).mtimeMs, 1000);
    assert.equal(lstatSync(path.join(base, 'ro', 'f')).mtimeMs, 0);
    assert.ok(lstatSync(path.join(base, 'fifo')).isFIFO());
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('whiteouts: apply mode deletes lower paths and opaque clears lower contents', async () => {
  const base = tmp();
  try {
    mkdirSync(path.join(base, 'etc'));
    mkdirSync(path.join(base, 'var', 'old'), { recursive: true });
    writeFileSync(path.join(base, 'etc', 'gone'), '1');
    writeFileSync(path.join(base, 'etc', 'kept'), '1');
    writeFileSync(path.join(base, 'var', 'old', 'x'), '1');
    const layer = await collectBytes(
      writeTarEntries(
        [
          { path: 'etc', type: 'dir', mode: 0o755, mtime: 1 },
          { path: 'etc/gone', type: 'whiteout' },
          { path: 'var', type: 'dir', mode: 0o755, mtime: 1 },
          { path: 'var/.new', type: 'file', mode: 0o644, mtime: 1, size: 0 },
          { path: 'var', type: 'opaque' },
        ],
        { sourceDateEpoch: 1 },
      ),
    );
    await extractTar([layer], base, { whiteouts: 'apply' });
    assert.ok(!existsSync(path.join(base, 'etc', 'gone')));
    assert.ok(existsSync(path.join(base, 'etc', 'kept')));
    assert.deepEqual(execFileSync('ls', ['-A', path.join(base, 'var')]).toString(), '.new\n');
    const seen: string[] = [];
    const other = path.join(base, 'other');
    mkdirSync(other);
    await extractTar([layer], other, { whiteouts: async (p, k) => void seen.push(`${k}:${p}`) });
    assert.deepEqual(seen, ['whiteout:etc/gone', 'opaque:var']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('gzip, bzip2, xz and zstd archives are detected by magic and read', async () => {
  const base = tmp();
  try {
    mkdirSync(path.join(base, 'src', 'pkg'), { recursive: true });
    writeFileSync(path.join(base, 'src', 'pkg', 'README'), 'read me\n');
    const plain = path.join(base, 'a.tar');
    execFileSync('tar', ['-C', path.join(base, 'src'), '-cf', plain, 'pkg']);
    const variants: [string, string[]][] = [['a.tar', []], ['a.tgz', ['gzip', '-c']], ['a.tbz', ['bzip2', '-c']], ['a.txz', ['xz', '-c']], ['a.tzst', ['zstd', '-q', '-c']]];
    for (const [name, cmd] of variants) {
      const f = path.join(base, name);
      if (cmd.length) writeFileSync(f, execFileSync(cmd[0]!, [...cmd.slice(1), plain]));
      const dest = path.join(base, `out-${name}`);
      mkdirSync(dest);
      await extractTar(openDecompressed(f), dest, { label: name });
      assert.equal(readFileSync(path.join(dest, 'pkg', 'README'), 'utf8'), 'read me\n', name);
    }
    const broken = path.join(base, 'broken.txz');
    const xz = readFileSync(path.join(base, 'a.txz'));
    writeFileSync(broken, xz.subarray(0, xz.length - 40));
    const dest = path.join(base, 'out-broken');
    mkdirSync(dest);
    await assert.rejects(extractTar(openDecompressed(broken), dest), (e: unknown) => e instanceof StrataError && (e.code === 'tar/decompress-failed' || e.code === 'tar/corrupt'));
    const brokenGz = path.join(base, 'broken.tgz');
    const gz = readFileSync(path.join(base, 'a.tgz'));
    gz[gz.length - 5]! ^= 0xff;
    writeFileSync(brokenGz, gz);
    await assert.rejects(collectBytes(openDecompressed(brokenGz)), (e: unknown) => e instanceof StrataError && e.code === 'tar/decompress-failed');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a truncated or corrupt archive is an input error', async () => {
  const whole = (await collectBytes(writeTarEntries([{ path: 'f', type: 'file', mode: 0o644, mtime: 1, size: 2000, content: bytesSource(new Uint8Array(2000)) }], { sourceDateEpoch: 1 })));
  for (const bytes of [whole.subarray(0, 1000), (() => { const c = whole.slice(); c[10] = 0x41; return c; })()]) {
    const d = tmp();
    await assert.rejects(extractTar([bytes], d), (e: unknown) => e instanceof StrataError && e.code === 'tar/corrupt' && e.exitCode === 2);
    rmSync(d, { recursive: true, force: true });
  }
});

test('rootMeta skip leaves the root alone and reports its entry; apply sets it', async () => {
  const base = tmp();
  try {
    const entries: Partial<PreparedEntry>[] = [
      { name: './', typeflag: '5', mode: 0o700, mtime: 5 },
      { name: 'a/', typeflag: '5', mode: 0o750, mtime: 7 },
      { name: 'a/b/', typeflag: '5', mode: 0o755, mtime: 9 },
      file('a/b/f', 2),
    ];
    const skip = path.join(base, 'skip');
    mkdirSync(skip, { mode: 0o755 });
    const before = lstatSync(skip);
    const r = await extractTar(raw(entries), skip, { rootMeta: 'skip' });
    assert.equal(r.rootHeader?.mode, 0o700);
    assert.equal(r.rootHeader?.mtime, 5);
    assert.equal(lstatSync(skip).mode & 0o7777, before.mode & 0o7777);
    assert.notEqual(lstatSync(skip).mtimeMs, 5000);
    assert.equal(lstatSync(path.join(skip, 'a')).mode & 0o7777, 0o750);
    assert.equal(lstatSync(path.join(skip, 'a')).mtimeMs, 7000);
    assert.equal(lstatSync(path.join(skip, 'a', 'b')).mtimeMs, 9000);
    const apply = path.join(base, 'apply');
    mkdirSync(apply);
    await extractTar(raw(entries), apply);
    assert.equal(lstatSync(apply).mode & 0o7777, 0o700);
    assert.equal(lstatSync(apply).mtimeMs, 5000);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('existing entries are replaced (file, symlink, dangling symlink), directories merged, never replaced', async () => {
  const base = tmp();
  try {
    const root = path.join(base, 'root');
    mkdirSync(path.join(root, 'd'), { recursive: true });
    writeFileSync(path.join(root, 'd', 'keep'), 'k');
    writeFileSync(path.join(root, 'f'), 'old');
    symlinkSync('../outside', path.join(root, 'dangling'));
    symlinkSync('d', path.join(root, 'ld'));
    writeFileSync(path.join(root, 'h'), 'old');
    await extractTar(raw([
      { name: 'd/', typeflag: '5', mode: 0o711 },
      file('f', 3),
      file('dangling', 2),
      { name: 'ld/', typeflag: '5', mode: 0o755 },
      file('src', 4),
      { name: 'h', typeflag: '1', linkname: 'src' },
      { name: 'f2', typeflag: '2', linkname: 'f' },
      { name: 'f2', typeflag: '2', linkname: 'src' },
    ]), root);
    assert.equal(readFileSync(path.join(root, 'd', 'keep'), 'utf8'), 'k');
    assert.equal(lstatSync(path.join(root, 'd')).mode & 0o7777, 0o711);
    assert.equal(readFileSync(path.join(root, 'f'), 'utf8'), 'xxx');
    assert.ok(lstatSync(path.join(root, 'dangling')).isFile());
    assert.ok(!existsSync(path.join(base, 'outside')));
    assert.ok(lstatSync(path.join(root, 'ld')).isDirectory(), 'a symlink replaced by a directory entry');
    assert.equal(lstatSync(path.join(root, 'h')).ino, lstatSync(path.join(root, 'src')).ino);
    assert.equal(readlinkSync(path.join(root, 'f2')), 'src');
    await assert.rejects(extractTar(raw([file('d', 1)]), root), (e: unknown) => e instanceof StrataError && e.code === 'tar/replace-directory');
    await assert.rejects(extractTar(raw([{ name: 'd', typeflag: '2', linkname: 'x' }]), root), (e: unknown) => e instanceof StrataError && e.code === 'tar/replace-directory');
    await assert.rejects(extractTar(raw([{ name: 'd', typeflag: '1', linkname: 'f' }]), root), (e: unknown) => e instanceof StrataError && e.code === 'tar/replace-directory');
    await assert.rejects(extractTar(raw([{ name: 'f', typeflag: '1', linkname: 'f' }]), root), (e: unknown) => e instanceof StrataError && e.code === 'tar/hardlink-escape');
    assert.equal(readFileSync(path.join(root, 'f'), 'utf8'), 'xxx', 'a self-link removes nothing');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('fifos: reject refuses FIFO entries', async () => {
  const base = tmp();
  try {
    await assert.rejects(extractTar(raw([{ name: 'p', typeflag: '6', mode: 0o600 }]), base, { fifos: 'reject', label: 'a.tar' }),
      (e: unknown) => e instanceof StrataError && e.code === 'tar/special-file' && e.exitCode === 2 && e.message.startsWith("a.tar: entry 'p'"));
    assert.ok(!existsSync(path.join(base, 'p')));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a large gzip archive streams through in several chunks and every byte lands', async () => {
  const base = tmp();
  try {
    // 3 MiB of incompressible-ish data over several files: more than one gunzip chunk
    const data = new Uint8Array(3 << 20);
    let x = 12345;
    for (let i = 0; i < data.length; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const parts = [0, 1 << 20, (1 << 20) + 7, 3 << 20];
    const bytes = await collectBytes(writeTarEntries(parts.slice(0, -1).map((start, i) => ({
      path: `f${i}`, type: 'file' as const, mode: 0o644, mtime: 1, size: parts[i + 1]! - start, content: bytesSource(data.subarray(start, parts[i + 1])),
    })), { sourceDateEpoch: 1 }));
    const gz = path.join(base, 'a.tar.gz');
    writeFileSync(gz, (await import('node:zlib')).gzipSync(bytes, { level: 1 }));
    const root = path.join(base, 'root');
    mkdirSync(root);
    const r = await extractTar(openDecompressed(gz), root);
    assert.equal(r.bytes, data.length);
    const back = Buffer.concat([0, 1, 2].map((i) => readFileSync(path.join(root, `f${i}`))));
    assert.ok(back.equals(data));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('onEntry is called for every written entry after its mode is set, and awaited when asynchronous', async () => {
  const base = tmp();
  try {
    const seen: string[] = [];
    await extractTar(raw([
      { name: './', typeflag: '5', mode: 0o755 },
      { name: 'd/', typeflag: '5', mode: 0o750 },
      { ...file('d/f', 2), mode: 0o4711 },
      { name: 'd/l', typeflag: '2', linkname: 'f' },
      { name: 'd/h', typeflag: '1', linkname: 'd/f' },
      { name: 'null', typeflag: '3', devmajor: 1, devminor: 3 },
    ]), base, {
      devices: 'skip',
      onEntry: (rel, h, abs) => {
        const st = lstatSync(abs);
        seen.push(`${rel}:${h.kind}:${h.kind === 'file' ? (st.mode & 0o7777).toString(8) : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other'}`);
      },
    });
    assert.deepEqual(seen, [':dir:dir', 'd:dir:dir', 'd/f:file:4711', 'd/l:symlink:link', 'd/h:hardlink:other']);
    let done = 0;
    await extractTar(raw([file('a', 1), file('b', 1)]), path.join(base, 'd'), {
      onEntry: async () => {
        await new Promise((r) => setImmediate(r));
        done++;
      },
    });
    assert.equal(done, 2);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('stopping early after a few bytes closes the archive file (no descriptor left open)', async () => {
  const base = tmp();
  try {
    const f = path.join(base, 'a.tar.gz');
    writeFileSync(f, (await import('node:zlib')).gzipSync(new Uint8Array(3 << 20)));
    const plain = path.join(base, 'a.tar');
    writeFileSync(plain, new Uint8Array(3 << 20));
    const open = (): number => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 4; i++) {
      for (const file of [f, plain]) {
        for await (const chunk of openDecompressed(file)) {
          assert.ok(chunk.length > 0);
          break;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(open(), before);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
