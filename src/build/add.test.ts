/**
 * ADD of a local archive (ADR 0153): extracting straight into the upper directory gives
 * the same layer as unpacking to scratch and moving every entry in, and the direct path
 * keeps every escape rule of the safe extractor. Runs as root (owners are kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, lstatSync, readFileSync, readlinkSync, linkSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { readXattrs, setXattr } from '../sandbox/native.js';
import { OciStore } from '../store/store.js';
import type { PreparedEntry } from '../tar/entry.js';
import { encodeHeader, padLength } from '../tar/header.js';
import { addArchiveOrFile, emptyDestination } from './add.js';
import { ContextFs } from './context.js';
import { UpperWriter, type CopyOptions } from './copy.js';
import { captureLayer } from './layer.js';

/** Between the archive's mtimes and now: directories the ADD creates (mtime now) clamp to it. */
const EPOCH = 1_500_000_000;
const BASE: Omit<CopyOptions, 'context'> = { epoch: EPOCH, location: { file: 'Containerfile', line: 1, col: 1 } };

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A source tree with owners, setuid, a hardlink, symlinks, nested and empty dirs, user xattrs. */
function sourceTree(dir: string): void {
  mkdirSync(path.join(dir, 'd', 'sub', 'deep'), { recursive: true });
  mkdirSync(path.join(dir, 'e'));
  writeFileSync(path.join(dir, 'd', 'f'), 'payload\n');
  linkSync(path.join(dir, 'd', 'f'), path.join(dir, 'd', 'g'));
  linkSync(path.join(dir, 'd', 'f'), path.join(dir, 'hl'));
  symlinkSync('f', path.join(dir, 'd', 'l'));
  writeFileSync(path.join(dir, 'd', 'sub', 'deep', 'x'), 'x'.repeat(70_000));
  writeFileSync(path.join(dir, 'top'), 'top\n');
  setXattr(path.join(dir, 'd', 'f'), 'user.test', Buffer.from('file-value'));
  setXattr(path.join(dir, 'd'), 'user.dir', Buffer.from('dir-value'));
  lchownSync(path.join(dir, 'd', 'f'), 1000, 1000);
  chmodSync(path.join(dir, 'd', 'f'), 0o4755);
  lchownSync(path.join(dir, 'd', 'l'), 3, 4);
  lchownSync(path.join(dir, 'd'), 7, 8);
  chmodSync(path.join(dir, 'd'), 0o750);
  chmodSync(path.join(dir, 'e'), 0o700);
  chmodSync(path.join(dir, 'd', 'sub', 'deep', 'x'), 0o600);
  lchownSync(dir, 9, 9);
  chmodSync(dir, 0o751);
  lutimesSync(path.join(dir, 'd', 'l'), 3000, 3000);
  for (const [p, t] of [['d/sub/deep/x', 1000], ['d/sub/deep', 1100], ['d/sub', 1200], ['d/f', 2000], ['d', 2500], ['e', 2600], ['top', 2700], ['', 2800]] as const) {
    utimesSync(path.join(dir, p), t, t);
  }
}

/** A lower layer: an empty dir, a symlink to it, a dir with contents. */
function lowerLayer(dir: string): void {
  mkdirSync(path.join(dir, 'empty'));
  chmodSync(path.join(dir, 'empty'), 0o711);
  symlinkSync('empty', path.join(dir, 'link'));
  mkdirSync(path.join(dir, 'full'));
  writeFileSync(path.join(dir, 'full', 'old'), 'old\n');
  mkdirSync(path.join(dir, 'usr'));
  writeFileSync(path.join(dir, 'lowerfile'), 'lower secret\n');
  utimesSync(path.join(dir, 'empty'), 500, 500);
}

interface Fixture {
  readonly base: string;
  readonly ctx: ContextFs;
  readonly lower: string;
  readonly store: OciStore;
}

async function fixture(): Promise<Fixture> {
  const base = tmp('strata-add-');
  const src = path.join(base, 'src');
  mkdirSync(src);
  sourceTree(src);
  const ctxDir = path.join(base, 'ctx');
  mkdirSync(ctxDir);
  const tarArgs = ['--sort=name', '--numeric-owner', '--xattrs', '--xattrs-include=user.*', '-C', src];
  execFileSync('tar', [...tarArgs, '-cf', path.join(ctxDir, 'dot.tar'), '.']);
  execFileSync('tar', [...tarArgs, '-cf', path.join(ctxDir, 'nodot.tar'), 'd', 'e', 'hl', 'top']);
  execFileSync('sh', ['-c', `gzip -n -c "${path.join(ctxDir, 'dot.tar')}" > "${path.join(ctxDir, 'dot.tar.gz')}"`]);
  execFileSync('tar', ['-C', path.join(src, 'e'), '-cf', path.join(ctxDir, 'empty.tar'), '.']);
  const lower = path.join(base, 'lower');
  mkdirSync(lower);
  lowerLayer(lower);
  const files = readdirSync(ctxDir).map((n) => ({ rel: n, abs: path.join(ctxDir, n), sha256: '0'.repeat(64), size: 0 }));
  const store = await OciStore.open(path.join(base, 'store'), { create: true });
  return { base, ctx: new ContextFs(ctxDir, files), lower, store };
}

/** ADD `archive` to `dest` on the given lowers; the captured layer's digest ('' for no layer). */
async function addOnce(f: Fixture, archive: string, dest: string, lowers: string[], unpack: 'auto' | 'move', o: Partial<CopyOptions> = {}): Promise<string> {
  const step = mkdtempSync(path.join(f.base, 'step-'));
  try {
    const upper = path.join(step, 'upper');
    mkdirSync(upper);
    const w = new UpperWriter(lowers, upper);
    // the direct path never makes a scratch directory: a work root that does not exist proves it
    const workRoot = unpack === 'auto' ? path.join(step, 'no-such-dir') : step;
    await addArchiveOrFile(w, f.ctx, archive, dest, { ...BASE, ...o }, workRoot, { unpack });
    w.finish();
    const layer = await captureLayer(upper, f.store, EPOCH);
    return layer?.descriptor.digest ?? '';
  } finally {
    rmSync(step, { recursive: true, force: true });
  }
}

test('the direct path gives the same layer as unpack-and-move, for each kind of empty destination', async () => {
  const f = await fixture();
  try {
    const cases: [string, string, 'lowers' | 'none'][] = [
      ['dot.tar', '/new/deeper/', 'lowers'], // missing, parents created
      ['dot.tar.gz', '/new', 'lowers'], // no trailing slash, gzip
      ['nodot.tar', '/new/', 'lowers'], // no root entry
      ['dot.tar', '/empty/', 'lowers'], // an empty lower directory: copied up, its metadata kept
      ['nodot.tar', '/link/', 'lowers'], // a symlink to an empty directory
      ['dot.tar', '/usr/x/', 'lowers'],
      ['dot.tar', '/', 'none'], // FROM scratch: the root
      ['empty.tar', '/empty/', 'lowers'], // nothing to place: no copy-up, no layer
      ['empty.tar', '/brand-new/', 'lowers'],
    ];
    for (const [archive, dest, lowers] of cases) {
      const ls = lowers === 'lowers' ? [f.lower] : [];
      const direct = await addOnce(f, archive, dest, ls, 'auto');
      const moved = await addOnce(f, archive, dest, ls, 'move');
      assert.equal(direct, moved, `ADD ${archive} ${dest}`);
      assert.equal(direct === '', archive === 'empty.tar' && dest === '/empty/', `ADD ${archive} ${dest}: layer or not`);
    }
  } finally {
    rmSync(f.base, { recursive: true, force: true });
  }
});

test('a destination with contents, --chown or --chmod takes the move path', async () => {
  const f = await fixture();
  try {
    const w = new UpperWriter([f.lower], path.join(f.base, 'upper'));
    assert.deepEqual(emptyDestination(w, '/full/'), undefined);
    assert.deepEqual(emptyDestination(w, '/lowerfile/'), undefined);
    assert.deepEqual(emptyDestination(w, '/empty/'), { rel: 'empty', existed: true });
    assert.deepEqual(emptyDestination(w, '/link/'), { rel: 'empty', existed: true });
    assert.deepEqual(emptyDestination(w, '/a/b/'), { rel: 'a/b', existed: false });
    for (const [dest, o] of [['/full/', {}], ['/new/', { owner: { uid: 5, gid: 6 } }], ['/new/', { chmod: 0o700 }]] as const) {
      // the move path needs its scratch directory: with none, it fails
      await assert.rejects(addOnce(f, 'dot.tar', dest, [f.lower], 'auto', o), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT', dest);
    }
  } finally {
    rmSync(f.base, { recursive: true, force: true });
  }
});

/** What the archive's entries must look like under `dir` of an upper directory, whichever path put them there. */
function assertUnpacked(dir: string, what: string): void {
  const st = (p: string) => lstatSync(path.join(dir, p));
  const meta = (p: string) => {
    const s = st(p);
    return `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${Math.floor(s.mtimeMs / 1000)}`;
  };
  assert.equal(meta('d'), '750 7:8 2500', `${what}: d`);
  assert.equal(meta('d/f'), '4755 1000:1000 2000', `${what}: d/f`);
  assert.equal(meta('d/sub'), '755 0:0 1200', `${what}: d/sub`);
  assert.equal(meta('d/sub/deep'), '755 0:0 1100', `${what}: d/sub/deep`);
  assert.equal(meta('d/sub/deep/x'), '600 0:0 1000', `${what}: d/sub/deep/x`);
  assert.equal(meta('e'), '700 0:0 2600', `${what}: e`);
  assert.equal(readlinkSync(path.join(dir, 'd', 'l')), 'f');
  assert.equal(`${st('d/l').uid}:${st('d/l').gid} ${Math.floor(st('d/l').mtimeMs / 1000)}`, '3:4 3000', `${what}: d/l`);
  assert.equal(st('d/g').ino, st('d/f').ino, `${what}: d/g is a hardlink of d/f`);
  assert.equal(st('hl').ino, st('d/f').ino, `${what}: hl (another directory) is a hardlink of d/f`);
  assert.equal(readFileSync(path.join(dir, 'd', 'sub', 'deep', 'x'), 'utf8'), 'x'.repeat(70_000));
  assert.deepEqual(readXattrs(path.join(dir, 'd', 'f')).map(([k, v]) => `${k}=${v}`), ['user.test=file-value'], `${what}: file xattr`);
  assert.deepEqual(readXattrs(path.join(dir, 'd')).map(([k, v]) => `${k}=${v}`), ['user.dir=dir-value'], `${what}: dir xattr`);
}

test('each path leaves every entry with the archive\'s metadata, hardlinks and xattrs', async () => {
  const f = await fixture();
  try {
    const cases: [string, 'auto' | 'move', string][] = [
      ['/new/', 'auto', 'new'], // direct
      ['/new/', 'move', 'new'], // move, every directory new: moved whole
      ['/full/', 'auto', 'full'], // move (destination has contents)
    ];
    for (const [dest, unpack, rel] of cases) {
      const step = mkdtempSync(path.join(f.base, 'step-'));
      const upper = path.join(step, 'upper');
      mkdirSync(upper);
      const w = new UpperWriter([f.lower], upper);
      await addArchiveOrFile(w, f.ctx, 'nodot.tar', dest, BASE, step, { unpack });
      w.finish();
      assertUnpacked(path.join(upper, rel), `${dest} ${unpack}`);
      assert.deepEqual(readdirSync(step).sort(), ['upper'], `${dest} ${unpack}: no scratch left`);
      rmSync(step, { recursive: true, force: true });
    }
  } finally {
    rmSync(f.base, { recursive: true, force: true });
  }
});

/** A raw archive from headers, bypassing the writer's checks (malicious input). */
function raw(entries: Partial<PreparedEntry>[]): Buffer {
  const out: Uint8Array[] = [];
  for (const e of entries) {
    const size = e.size ?? 0;
    const full: PreparedEntry = {
      name: '', path: '', typeflag: '0', mode: 0o644, uid: 0, gid: 0, mtime: 1, size, linkname: '', devmajor: -1, devminor: -1, xattrs: [], content: undefined, ...e,
    };
    out.push(encodeHeader(full), Buffer.alloc(size, 0x78), new Uint8Array(padLength(size)));
  }
  out.push(new Uint8Array(1024));
  return Buffer.concat(out);
}

test('the direct path refuses every escaping archive and writes nothing outside the upper directory', async () => {
  const f = await fixture();
  try {
    const cases: [string, Partial<PreparedEntry>[], string][] = [
      ['dot-dot', [{ name: '../../evil', size: 1 }], 'tar/parent-escape'],
      ['absolute', [{ name: '/tmp/strata-add-evil', size: 1 }], 'tar/absolute-path'],
      ['symlink then file', [{ name: 'l', typeflag: '2', linkname: '../../../..' }, { name: 'l/evil', size: 1 }], 'tar/through-symlink'],
      ['absolute symlink then dir', [{ name: 'l', typeflag: '2', linkname: '/' }, { name: 'l/tmp/', typeflag: '5' }], 'tar/through-symlink'],
      ['hardlink to a lower file', [{ name: 'h', typeflag: '1', linkname: '../lowerfile' }], 'tar/parent-escape'],
      ['hardlink through a symlink', [{ name: 'l', typeflag: '2', linkname: '../..' }, { name: 'h', typeflag: '1', linkname: 'l/lowerfile' }], 'tar/through-symlink'],
      ['fifo', [{ name: 'p', typeflag: '6' }], 'tar/special-file'],
      ['device', [{ name: 'null', typeflag: '3', devmajor: 1, devminor: 3 }], 'tar/device'],
      ['whiteout', [{ name: '.wh.lowerfile' }], 'tar/whiteout'],
      ['directory replaced', [{ name: 'd/', typeflag: '5' }, { name: 'd', size: 1 }], 'tar/replace-directory'],
    ];
    for (const [what, entries, code] of cases) {
      writeFileSync(path.join(f.base, 'ctx', 'bad.tar'), raw(entries));
      const ctx = new ContextFs(path.join(f.base, 'ctx'), [{ rel: 'bad.tar', abs: path.join(f.base, 'ctx', 'bad.tar'), sha256: '0'.repeat(64), size: 0 }]);
      const marker = path.join(f.base, `marker-${what.replace(/ /g, '-')}`);
      writeFileSync(marker, '');
      const step = mkdtempSync(path.join(f.base, 'step-'));
      const upper = path.join(step, 'upper');
      mkdirSync(upper);
      const w = new UpperWriter([f.lower], upper);
      await assert.rejects(addArchiveOrFile(w, ctx, 'bad.tar', '/new/', BASE, path.join(step, 'no-such-dir')),
        (e: unknown) => e instanceof StrataError && e.code === code && e.exitCode === 2, what);
      // nothing changed outside the upper dir: not the lower layer, not the step, not the temp dir
      const changed = execFileSync('find', [f.base, '-newer', marker, '-not', '-path', `${upper}*`, '-not', '-path', path.join(f.base, 'ctx', '*'), '-not', '-path', path.join(f.base, 'store', '*')]).toString();
      assert.deepEqual(changed.split('\n').filter((l) => l !== '' && l !== f.base && l !== step && l !== path.join(f.base, 'ctx') && l !== path.join(f.base, 'store')), [], what);
      assert.ok(!existsSync(path.join(f.base, 'evil')) && !existsSync('/tmp/strata-add-evil') && !existsSync('/evil'), what);
      rmSync(step, { recursive: true, force: true });
    }
  } finally {
    rmSync(f.base, { recursive: true, force: true });
  }
});
