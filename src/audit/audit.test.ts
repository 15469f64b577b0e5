// strata audit / strata trace on the fixture trees (testdata/audit), on distribution/ and on
// the StageX-shaped corpus. Binary parts (ELF headers, archives, the binary seed) are
// written into temporary copies at test time: none is committed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { SourceCache } from '../source/cache.js';
import { bytesSource, collectBytes, writeTarEntries } from '../tar/writer.js';
import type { TarEntry } from '../tar/entry.js';
import { loadPlan } from '../tree/load-plan.js';
import { cliPath, repoRoot, testdata } from '../testutil/paths.js';
import { auditTree } from './audit.js';

interface JsonVerdict {
  name: string;
  bootstrapped: boolean;
  reasons: string[];
  path: string[];
  seeds: string[];
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of testdata/audit/<name> in a temporary directory. */
function fixture(t: { after: (fn: () => void) => void }, name: string): string {
  const dir = path.join(tmp(t), name);
  cpSync(testdata('audit', name), dir, { recursive: true });
  return dir;
}

/** The first 64 bytes of an x86-64 ELF executable (a header is all the audit looks at). */
function elfHeader(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  b[16] = 2; // ET_EXEC
  b[18] = 0x3e; // EM_X86_64
  b[20] = 1; // EV_CURRENT
  return b;
}

async function tarBytes(files: Record<string, Uint8Array | string>): Promise<Uint8Array> {
  const dirs = new Set<string>();
  for (const p of Object.keys(files)) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: TarEntry[] = [
    ...[...dirs].map((d): TarEntry => ({ path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 })),
    ...Object.entries(files).map(([p, c]): TarEntry => {
      const bytes = typeof c === 'string' ? new TextEncoder().encode(c) : c;
      return { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: bytes.length, content: bytesSource(bytes) };
    }),
  ];
  return collectBytes(writeTarEntries(entries, { sourceDateEpoch: 1 }));
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Put bytes in a source cache and write their hash into the package's [sources.payload]. */
function provideSource(cacheDir: string, packageToml: string, bytes: Uint8Array): void {
  const hash = sha256(bytes);
  const file = new SourceCache(cacheDir).path(hash);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  writeFileSync(packageToml, readFileSync(packageToml, 'utf8').replace(/hash = "0{64}"/, `hash = "${hash}"`));
}

function byName(out: string): Map<string, JsonVerdict> {
  return new Map((JSON.parse(out) as JsonVerdict[]).map((v) => [v.name, v]));
}

test('the clean fixture tree: the seed package and the image built with it are bootstrapped (exit 0)', async (t) => {
  const r = await cli('audit', '--tree', testdata('audit', 'clean'), '--cache', tmp(t), '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  const v = byName(r.out);
  assert.deepEqual([...v.keys()], ['bootstrap-seed', 'core-tool']);
  for (const x of v.values()) {
    assert.equal(x.bootstrapped, true);
    assert.deepEqual(x.reasons, []);
    assert.equal(x.seeds.length, 1);
    assert.match(x.seeds[0]!, /^seed of bootstrap-seed: hex0 source .*seed\.hex0, 5 bytes decoded, sha256 185f8db3\w+ ok$/);
  }
  assert.match(v.get('core-tool')!.path[1]!, /^bootstrap-seed \(COPY --from at .*core\/tool\/Containerfile:2:6\)$/);
});

test('the dirty fixture tree: each way of not being bootstrapped is explained, dependants included', async (t) => {
  const tree = fixture(t, 'dirty');
  const cache = tmp(t);
  writeFileSync(path.join(tree, 'packages/core/ctxbin/prebuilt/tool.bin'), elfHeader());
  provideSource(cache, path.join(tree, 'packages/core/archive/package.toml'),
    gzipSync(await tarBytes({ 'payload/main.hex0': '90 C3\n', 'payload/bin/helper': elfHeader() })));
  provideSource(cache, path.join(tree, 'packages/core/cleansrc/package.toml'),
    await tarBytes({ 'payload/main.hex0': '90 C3\n', 'payload/README': 'text only\n' }));

  const r = await cli('audit', '--all', '--tree', tree, '--cache', cache, '--json');
  assert.equal(r.code, 1, 'a failed check exits 1');
  assert.equal(r.err, '');
  const v = byName(r.out);
  const yes = [...v.values()].filter((x) => x.bootstrapped).map((x) => x.name);
  assert.deepEqual(yes, ['bootstrap-seed', 'core-cleansrc', 'core-textonly', 'core-tool']);
  const reasons = (name: string): string[] => v.get(name)!.reasons;
  assert.equal(reasons('core-ctxbin').length, 1);
  assert.match(reasons('core-ctxbin')[0]!, /ctxbin\/Containerfile:2:1: COPY of .*prebuilt\/tool\.bin from the build context: a prebuilt ELF file/);
  assert.match(reasons('core-alpine')[0]!, /alpine\/Containerfile:1:1: FROM docker\.io\/library\/alpine:3\.19: an image from outside this tree/);
  assert.match(reasons('core-extcopy')[0]!, /extcopy\/Containerfile:2:6: COPY --from other\/core-busybox: an image from outside this tree/);
  assert.match(reasons('core-url')[0]!, /url\/Containerfile:2:1: ADD https:\/\/example\.invalid\/blob-1\.0\.tar\.gz: downloaded at build time/);
  assert.match(reasons('core-archive')[0]!, /archive\/Containerfile:3:1: ADD of source 'payload' \(payload-1\.0\.tar\.gz, sha256 \w{12}\): archive contains a prebuilt executable: payload\/bin\/helper \(ELF\)/);
  assert.deepEqual(reasons('core-user').length, 1, 'core-user is "no" only because of core-alpine');
  assert.match(reasons('core-user')[0]!, /user\/Containerfile:3:6: COPY --from core-alpine, which is not bootstrapped — run 'strata trace core-alpine'/);
  assert.deepEqual(v.get('core-user')!.path.slice(0, 2).map((s) => s.split(' ')[0]), ['core-user', 'core-alpine']);
  assert.match(v.get('core-user')!.path[2]!, /alpine\/Containerfile:1:1: FROM docker\.io\/library\/alpine/);
  assert.match(v.get('core-textonly')!.path[1]!, /^no seed: takes in only text/);
  assert.deepEqual(v.get('core-textonly')!.seeds, []);

  // the table says the same
  const table = await cli('audit', '--tree', tree, '--cache', cache);
  assert.equal(table.code, 1);
  assert.match(table.out, /\ncore-user +no +depends on core-alpine\n/);
  assert.match(table.out, /\ncore-textonly +yes +no seed, text inputs only\n/);
  assert.match(table.out, /\n10 images: 4 bootstrapped, 6 not\n$/);

  // trace walks to the offending input
  const tr = await cli('trace', '--tree', tree, '--cache', cache, 'core-user');
  assert.equal(tr.code, 1);
  assert.match(tr.out, /^core-user: not bootstrapped\n {2}core-user\n {2}└─ core-alpine \(COPY --from at .*user\/Containerfile:3:6\)\n {4}└─ .*alpine\/Containerfile:1:1: FROM docker\.io\/library\/alpine:3\.19: an image from outside this tree/);
  const trj = await cli('trace', '--tree', tree, '--cache', cache, '--json', 'fx/core-cleansrc');
  assert.equal(trj.code, 0);
  const cleansrc = JSON.parse(trj.out) as JsonVerdict;
  assert.equal(cleansrc.bootstrapped, true);
  assert.deepEqual(cleansrc.path.map((s) => s.split(' ')[0]), ['core-cleansrc', 'core-tool', 'bootstrap-seed', 'seed']);
});

test('the dirty fixture as committed: sources not fetched cannot be audited, with a hint to fetch', async (t) => {
  const report = await auditTree({ tree: testdata('audit', 'dirty'), cacheDir: tmp(t), images: ['core-archive', 'core-ctxbin'] });
  assert.deepEqual(report.verdicts.map((v) => v.name), ['core-archive', 'core-ctxbin']);
  const archive = report.verdicts[0]!;
  assert.equal(archive.bootstrapped, false);
  assert.equal(archive.reasons[0]!.code, 'not-fetched');
  assert.equal(archive.reasons[0]!.hint, "run 'strata fetch core-archive' first");
  assert.equal(report.verdicts[1]!.bootstrapped, true, 'without the ELF file, prebuilt/ holds only text');
  assert.ok(report.all.has('core-tool'), 'dependencies are evaluated to answer for the requested images');
  assert.ok(!report.all.has('core-url'), 'images outside the closure are not');
});

test('a tree rooted in a binary seed declared in strata.toml: yes, reported as a binary seed; a changed seed: no', async (t) => {
  const tree = fixture(t, 'binary-seed');
  const seedFile = path.join(tree, 'packages/bootstrap/stage0/hex0-seed');
  writeFileSync(seedFile, Uint8Array.from({ length: 16 }, (_, i) => i));
  const r = await cli('audit', '--tree', tree, '--cache', tmp(t), '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const v = byName(r.out);
  for (const name of ['bootstrap-stage0', 'core-next']) {
    assert.equal(v.get(name)!.bootstrapped, true);
    assert.deepEqual(v.get(name)!.seeds, ['binary seed packages/bootstrap/stage0/hex0-seed, 16 bytes, sha256 be45cb2605bf36bebde684841a28f0fd43c69850a3dce5fedba69928ee3a8991 ok']);
  }
  const table = await cli('audit', '--tree', tree, '--cache', tmp(t));
  assert.match(table.out, /core-next +yes +from binary seed packages\/bootstrap\/stage0\/hex0-seed \(16 bytes\)/);

  writeFileSync(seedFile, Uint8Array.from({ length: 16 }, (_, i) => 15 - i));
  const changed = byName((await cli('audit', '--tree', tree, '--cache', tmp(t), '--json')).out);
  assert.equal(changed.get('bootstrap-stage0')!.bootstrapped, false);
  assert.match(changed.get('bootstrap-stage0')!.reasons[0]!, /declared as a binary seed with sha256 be45cb2605bf, but the file hashes to/);
  assert.equal(changed.get('core-next')!.bootstrapped, false);

  rmSync(seedFile);
  const missing = await cli('audit', '--tree', tree, '--cache', tmp(t), '--json');
  assert.equal(missing.code, 2);
  assert.equal(missing.err.trimEnd().split('\n').length, 1);
  assert.match(missing.err, /strata\.toml:4:\d+: binary seed 'packages\/bootstrap\/stage0\/hex0-seed' does not exist — /);
});

test('distribution/: every image is bootstrapped from the one hex0 seed', async (t) => {
  const tree = path.join(repoRoot, 'distribution');
  const r = await cli('audit', '--all', '--tree', tree, '--cache', tmp(t), '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const v = byName(r.out);
  const planned = loadPlan({ tree }).plan.images.map((i) => i.name);
  assert.deepEqual([...v.keys()], planned);
  for (const x of v.values()) {
    assert.equal(x.bootstrapped, true, `${x.name}: ${x.reasons.join('; ')}`);
    assert.equal(x.seeds.length, 1);
    assert.match(x.seeds[0]!, /^seed of bootstrap-hex0: hex0 source .*hex0\.hex0, \d+ bytes decoded, sha256 [0-9a-f]{64} ok$/);
    assert.match(x.path[x.path.length - 1]!, /^seed of bootstrap-hex0/);
  }
  const tr = await cli('trace', '--tree', tree, '--cache', tmp(t), 'bootstrap-hex2');
  assert.equal(tr.code, 0);
  assert.match(tr.out, /bootstrap-hex2\n {2}└─ bootstrap-hex1 \(COPY --from at .*\n {4}└─ bootstrap-hex0 \(COPY --from at .*\n {6}└─ seed of bootstrap-hex0/);
});

test('the StageX-shaped corpus: every image answered "no" with reasons, no crash', async (t) => {
  const report = await auditTree({ tree: testdata('trees', 'stagex-shaped'), cacheDir: tmp(t) });
  assert.ok(report.verdicts.length > 300);
  for (const v of report.verdicts) {
    assert.equal(v.bootstrapped, false, v.name);
    assert.ok(v.reasons.length > 0);
    assert.ok(v.reasons.every((r) => r.location?.line !== undefined), `${v.name}: every reason has a line`);
  }
  const codes = new Set(report.verdicts.flatMap((v) => v.reasons.map((r) => r.code)));
  assert.ok(codes.has('not-fetched') && codes.has('dependency'), [...codes].join());
});

test('bad input: one line on stderr, exit 2, nothing on stdout', async (t) => {
  const unknown = await cli('audit', '--tree', testdata('audit', 'clean'), '--cache', tmp(t), 'core-tol');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.out, '');
  assert.match(unknown.err, /^no image 'core-tol' in this tree — did you mean core-tool\?\n$/);

  const tree = fixture(t, 'clean');
  writeFileSync(path.join(tree, 'packages/core/tool/Containerfile'), 'FROM scratch\nCOPY tool.hex0 /src/\nCOPY missing/*.bin /bin/\n');
  const missing = await cli('audit', '--tree', tree, '--cache', tmp(t));
  assert.equal(missing.code, 2);
  assert.equal(missing.out, '');
  assert.match(missing.err, /^.*core\/tool\/Containerfile:3:1: COPY source 'missing\/\*\.bin' matches nothing in the build context — check the path/);
  assert.equal(missing.err.trimEnd().split('\n').length, 1);

  writeFileSync(path.join(tree, 'packages/core/tool/Containerfile'), 'FROM scratch\nCOPY ../../bootstrap/seed/seed.hex0 /src/\n');
  const escape = await cli('audit', '--tree', tree, '--cache', tmp(t));
  assert.equal(escape.code, 2);
  assert.match(escape.err, /core\/tool\/Containerfile:2:1: COPY source '\.\.\/\.\.\/bootstrap\/seed\/seed\.hex0' leaves the build context/);

  const both = await cli('audit', '--all', 'core-tool', '--tree', tree);
  assert.equal(both.code, 2);
  assert.match(both.err, /give image names or --all, not both — run 'strata audit --help'/);
  const none = await cli('trace', '--tree', tree);
  assert.equal(none.code, 2);
  assert.match(none.err, /trace: expected one IMAGE, got 0/);
  const help = await cli('audit', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: strata audit/);
});

test('a [seed] whose source no longer decodes to its hash makes the seed package and its users "no"', async (t) => {
  const tree = fixture(t, 'clean');
  writeFileSync(path.join(tree, 'packages/bootstrap/seed/seed.hex0'), '48 65 6C 6C 6E  ; changed\n');
  const v = byName((await cli('audit', '--tree', tree, '--cache', tmp(t), '--json')).out);
  assert.equal(v.get('bootstrap-seed')!.bootstrapped, false);
  assert.match(v.get('bootstrap-seed')!.reasons[0]!, /seed\/package\.toml:\d+:\d+: the \[seed\] of bootstrap-seed cannot be used: seed seed\.hex0 decodes to sha256 \w+, not the declared/);
  assert.equal(v.get('core-tool')!.bootstrapped, false);
});

test('the compiled CLI: audit exits 0 on distribution/ and 1 on the dirty fixture, with relative paths', () => {
  const ok = spawnSync(process.execPath, [cliPath, 'audit', '--tree', 'distribution'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, STRATA_CACHE: '' } });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /\nbootstrap-hex0 +yes +from seed bootstrap-hex0 \(hex0 source, \d+ bytes decoded, hash ok\)\n/);
  const no = spawnSync(process.execPath, [cliPath, 'trace', '--tree', path.join('testdata', 'audit', 'dirty'), 'core-alpine'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(no.status, 1, no.stderr);
  assert.match(no.stdout, /└─ testdata\/audit\/dirty\/packages\/core\/alpine\/Containerfile:1:1: FROM docker\.io\/library\/alpine:3\.19/);
});
