import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { main } from '../main.js';
import { cliPath } from '../../testutil/paths.js';
import { bufferIO } from '../io.js';
import { startTestMirror, type TestMirror } from '../../source/test-server.js';
import { MANIFEST_NAME } from '../../source/transfer.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ZLIB = Buffer.from('zlib source tarball\n'.repeat(500));
const GCC = Buffer.from('gcc source tarball\n'.repeat(900));
const GONE_HASH = sha(Buffer.from('nobody has this'));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-fetch-cli-'));
const tree = path.join(tmp, 'tree');
const files = path.join(tmp, 'files');
let mirror: TestMirror;
let n = 0;
const fresh = (): string => path.join(tmp, `d${n++}`);

function write(rel: string, text: string): void {
  const p = path.join(tree, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
}

before(async () => {
  mirror = await startTestMirror();
  mirror.serve('gcc-13.2.tar.xz', GCC);
  mkdirSync(files, { recursive: true });
  writeFileSync(path.join(files, 'zlib-1.3.1.tar.gz'), ZLIB);
  const fileBase = pathToFileURL(files).href;
  write('strata.toml', `mirrors = ["${mirror.base}/404"]\n`);
  write(
    'packages/core/zlib/package.toml',
    `[package]\nname = "zlib"\nversion = "1.3.1"\n\n[sources.zlib]\nhash = "${sha(ZLIB)}"\n` +
      `mirrors = ["${fileBase}/missing/zlib-{version}.tar.gz", "${fileBase}/zlib-{version}.tar.gz"]\n`,
  );
  write('packages/core/zlib/Containerfile', 'FROM scratch\n');
  write(
    'packages/core/gcc/package.toml',
    `[package]\nname = "gcc"\nversion = "13.2"\nsubpackages = ["gcc", "libstdcxx"]\n\n[sources.gcc]\nhash = "${sha(GCC)}"\n` +
      `mirrors = ["${mirror.base}/bad/gcc-{version}.tar.xz"]\n`,
  );
  write('packages/core/gcc/Containerfile', 'FROM scratch AS package-gcc\nFROM scratch AS package-libstdcxx\n');
  write(
    'packages/user/gone/package.toml',
    `[package]\nname = "gone"\nversion = "1"\n\n[sources.gone]\nhash = "${GONE_HASH}"\nmirrors = ["${mirror.base}/404/gone-1.tar.gz"]\n`,
  );
  write('packages/user/gone/Containerfile', 'FROM scratch\n');
});
after(async () => {
  await mirror.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** gcc is only on the STRATA_MIRRORS prefix. */
const env = (): Record<string, string> => ({ STRATA_MIRRORS: `${mirror.base}/good` });

async function strata(args: string[], e: Record<string, string> = env()) {
  const io = bufferIO(e);
  const code = await main(['fetch', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test('fetch: every package, file:// and STRATA_MIRRORS fallbacks, one failure line, exit 1', async () => {
  const cache = fresh();
  const r = await strata(['--tree', tree, '--cache', cache, '--idle-timeout', '5']);
  assert.equal(r.code, 1, r.err);
  assert.equal(r.out, '3 sources: 0 cached, 2 fetched, 1 missing\n');
  const lines = r.err.trimEnd().split('\n');
  assert.equal(
    lines[lines.length - 1],
    `user-gone: gone-1.tar.gz (sha256 ${GONE_HASH.slice(0, 12)}…) could not be fetched: ` +
      `${mirror.base}/404/gone-1.tar.gz → HTTP 404; ${mirror.base}/good/gone-1.tar.gz → HTTP 404`,
  );
  assert.ok(r.err.includes(`fetched gcc-13.2.tar.xz (17 KiB) for core-gcc from ${mirror.base}/good/gcc-13.2.tar.xz`), r.err);
  assert.deepEqual(readdirSync(path.join(cache, 'sha256')).sort(), [sha(ZLIB), sha(GCC)].sort());
});

test('fetch IMAGE --json: a subpackage image selects its package; attempts and reasons are listed', async () => {
  const cache = fresh();
  const r = await strata(['--tree', tree, '--cache', cache, '--json', 'core-libstdcxx']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { sources: Array<Record<string, unknown>> };
  assert.equal(doc.sources.length, 1);
  const s = doc.sources[0]!;
  assert.equal(s['owner'], 'core-gcc');
  assert.equal(s['status'], 'fetched');
  assert.equal(s['url'], `${mirror.base}/good/gcc-13.2.tar.xz`);
  assert.deepEqual(s['attempts'], [
    { url: `${mirror.base}/bad/gcc-13.2.tar.xz`, reason: `sha256 mismatch (got ${sha(Buffer.from('not the bytes of gcc-13.2.tar.xz\n')).slice(0, 12)}…)` },
    { url: `${mirror.base}/404/gcc-13.2.tar.xz`, reason: 'HTTP 404' },
    { url: `${mirror.base}/good/gcc-13.2.tar.xz` },
  ]);
  assert.deepEqual(readdirSync(path.join(cache, 'sha256')), [sha(GCC)]);
});

test('fetch --offline: uses only the cache', async () => {
  const cache = fresh();
  assert.equal((await strata(['--tree', tree, '--cache', cache, 'core-zlib'])).code, 0);
  const hits = mirror.hits.length;
  const ok = await strata(['--tree', tree, '--cache', cache, '--offline', 'core-zlib']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, '1 source: 1 cached, 0 fetched\n');
  const miss = await strata(['--tree', tree, '--cache', cache, '--offline', 'core-gcc']);
  assert.equal(miss.code, 1);
  assert.match(miss.err, /^core-gcc: gcc-13\.2\.tar\.xz \(sha256 [0-9a-f]{12}…\) is not in the cache and --offline forbids fetching it\n$/);
  assert.equal(mirror.hits.length, hits, 'offline made no request');
});

test('fetch --recheck removes a corrupted cached file and fetches it again', async () => {
  const cache = fresh();
  assert.equal((await strata(['--tree', tree, '--cache', cache, 'core-zlib'])).code, 0);
  const blob = path.join(cache, 'sha256', sha(ZLIB));
  const bad = Buffer.from(ZLIB);
  bad[3] = bad[3]! ^ 0x04;
  writeFileSync(blob, bad);
  const r = await strata(['--tree', tree, '--cache', cache, '--recheck', 'core-zlib']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'recheck: 0 ok, 1 corrupt removed\n1 source: 0 cached, 1 fetched\n');
  assert.match(r.err, new RegExp(`removed corrupt cached file sha256 ${sha(ZLIB).slice(0, 12)}… \\(its bytes hash to ${sha(bad).slice(0, 12)}…\\)`));
  assert.deepEqual(readFileSync(blob), ZLIB);
});

test('STRATA_CACHE chooses the cache when --cache is absent', async () => {
  const cache = fresh();
  const r = await strata(['--tree', tree, 'core-zlib'], { ...env(), STRATA_CACHE: cache });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(path.join(cache, 'sha256')), [sha(ZLIB)]);
  assert.equal(existsSync(path.join(tree, '.strata')), false);
});

test('fetch --export then --import on another machine; a tampered export is rejected with exit 1', async () => {
  const cache = fresh();
  const out = fresh();
  const ex = await strata(['--tree', tree, '--cache', cache, '--export', out, 'core-zlib', 'core-gcc']);
  assert.equal(ex.code, 0, ex.err);
  assert.match(ex.out, /exported 2 sources to /);
  assert.deepEqual(readFileSync(path.join(out, MANIFEST_NAME), 'utf8').split('\n').slice(1), [
    `${sha(GCC)} ${GCC.length} gcc-13.2.tar.xz`,
    `${sha(ZLIB)} ${ZLIB.length} zlib-1.3.1.tar.gz`,
    '',
  ]);

  const airgap = fresh();
  const im = await strata(['--tree', tree, '--cache', airgap, '--import', out], {});
  assert.equal(im.code, 0, im.err);
  assert.equal(im.out, 'imported 2 sources (2 new), rejected 0\n');
  const off = await strata(['--tree', tree, '--cache', airgap, '--offline', 'core-zlib', 'core-gcc'], {});
  assert.equal(off.code, 0, off.err);

  writeFileSync(path.join(out, 'sha256', sha(ZLIB)), Buffer.concat([ZLIB.subarray(1), Buffer.from('!')]));
  const airgap2 = fresh();
  const bad = await strata(['--tree', tree, '--cache', airgap2, '--import', out, '--json'], {});
  assert.equal(bad.code, 1);
  assert.match(bad.err, new RegExp(`^rejected sha256/${sha(ZLIB)}: zlib-1\\.3\\.1\\.tar\\.gz: sha256 mismatch \\(got [0-9a-f]{12}…\\)\\n$`));
  const doc = JSON.parse(bad.out) as { imported: Array<{ file: string }>; rejected: unknown[] };
  assert.deepEqual(doc.imported.map((e) => e.file), ['gcc-13.2.tar.xz']);
  assert.deepEqual(readdirSync(path.join(airgap2, 'sha256')), [sha(GCC)]);
});

test('fetch --export does not export when a source is missing', async () => {
  const cache = fresh();
  const out = fresh();
  const r = await strata(['--tree', tree, '--cache', cache, '--export', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /nothing exported: some sources are missing\n$/);
  assert.equal(existsSync(out), false);
});

test('bad input: one line, exit 2, nothing written', async () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['core-zlb'], env(), /^no image or package named 'core-zlb' in this tree — did you mean 'core-zlib'\?\n$/],
    [['--jobs', '0'], env(), /^fetch: --jobs must be an integer ≥ 1, got '0'/],
    [[], { STRATA_MIRRORS: 'mirror.example/src' }, /^STRATA_MIRRORS: mirror prefix 'mirror\.example\/src' is not an absolute https, http or file URL — /],
    [['--import', tmp, '--offline'], env(), /^fetch: --import cannot be combined with --offline — /],
    [['--import', fresh()], env(), /: --import: no such directory — import a directory written by 'strata fetch --export DIR'\n$/],
    [['--import', tmp], env(), /has no strata-sources\.txt — import a directory written by 'strata fetch --export DIR'\n$/],
    [['--export', files], env(), /^export directory .* is not empty — export into a new or empty directory\n$/],
  ];
  for (const [args, e, re] of cases) {
    const cache = fresh();
    const r = await strata(['--tree', tree, '--cache', cache, ...args], e);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
    assert.equal(existsSync(cache), false, `${args.join(' ')} wrote the cache`);
  }
  const badTree = fresh();
  mkdirSync(path.join(badTree, 'packages', 'core', 'x'), { recursive: true });
  writeFileSync(path.join(badTree, 'packages', 'core', 'x', 'Containerfile'), 'FROM scratch\n');
  const cache = fresh();
  const r = await strata(['--tree', badTree, '--cache', cache]);
  assert.equal(r.code, 2);
  assert.match(r.err, /package core-x has a Containerfile but no package\.toml/);
  assert.equal(existsSync(cache), false);
});

test('the compiled CLI exits 1 with the failure line on stderr when a source is missing (offline)', () => {
  const cache = fresh();
  const r = spawnSync(process.execPath, [cliPath, 'fetch', '--tree', tree, '--cache', cache, '--offline', 'user-gone'], {
    encoding: 'utf8',
    env: { ...process.env, STRATA_MIRRORS: '', STRATA_CACHE: '', CI: '1' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '1 source: 0 cached, 0 fetched, 1 missing\n');
  assert.equal(r.stderr, `user-gone: gone-1.tar.gz (sha256 ${GONE_HASH.slice(0, 12)}…) is not in the cache and --offline forbids fetching it\n`);
});
