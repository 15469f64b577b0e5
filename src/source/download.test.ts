import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SourceCache, shortHash } from './cache.js';
import { describeFailure, fetchSources, type FetchEvent, type FetchOptions } from './download.js';
import { candidateUrls, mirrorsFromEnv, prefixUrl, type SourceSpec } from './mirrors.js';
import { startTestMirror, type TestMirror } from './test-server.js';
import { StrataError } from '../errors.js';

function bytesOf(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const ZLIB = bytesOf('zlib', 70_000);
const ZLIB_HASH = sha(ZLIB);
const BAD_HASH = sha(Buffer.from('not the bytes of zlib.tar.gz\n'));
const SMALL = bytesOf('small', 5_000);

let mirror: TestMirror;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-download-'));
let n = 0;
function freshCache(): SourceCache {
  return new SourceCache(path.join(tmp, `cache-${n++}`));
}
function spec(urls: string[], over: Partial<SourceSpec> = {}): SourceSpec {
  return { id: 'zlib', file: 'zlib.tar.gz', hash: ZLIB_HASH, urls, owner: 'core-zlib', ...over };
}
// Generous, so a loaded CI machine cannot turn a good mirror into an idle timeout.
const OPTS: Partial<FetchOptions> = { idleTimeoutMs: 10_000 };
function u(p: string): string {
  return `${mirror.base}${p}`;
}
function blobListing(cache: SourceCache): string[] {
  try {
    return readdirSync(cache.blobDir).sort();
  } catch {
    return [];
  }
}

before(async () => {
  mirror = await startTestMirror();
  mirror.serve('zlib.tar.gz', ZLIB);
  mirror.serve('small.txt', SMALL);
});
after(async () => {
  await mirror.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the first good mirror fills the cache with the right bytes', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/good/zlib.tar.gz')])], { cache, ...OPTS });
  assert.equal(r!.status, 'fetched');
  assert.equal(r!.url, u('/good/zlib.tar.gz'));
  assert.equal(r!.bytes, ZLIB.length);
  assert.deepEqual(r!.attempts, [{ url: u('/good/zlib.tar.gz') }]);
  assert.ok(await cache.has(ZLIB_HASH));
  assert.deepEqual(readFileSync(cache.path(ZLIB_HASH)), ZLIB);
  assert.deepEqual(blobListing(cache), [ZLIB_HASH]);
});

test('404, wrong bytes, a 500 and a truncated body are skipped in order, each with its reason', async () => {
  const cache = freshCache();
  const urls = ['/404/zlib.tar.gz', '/bad/zlib.tar.gz', '/500/zlib.tar.gz', '/truncated/zlib.tar.gz', '/good/zlib.tar.gz'].map(u);
  const [r] = await fetchSources([spec(urls)], { cache, ...OPTS });
  assert.equal(r!.status, 'fetched');
  assert.equal(r!.url, u('/good/zlib.tar.gz'));
  assert.deepEqual(
    r!.attempts.map((a) => a.reason),
    ['HTTP 404', `sha256 mismatch (got ${shortHash(BAD_HASH)})`, 'HTTP 500', `truncated: got 35000 of 70000 bytes`, undefined],
  );
  assert.deepEqual(blobListing(cache), [ZLIB_HASH]);
});

test('when every URL fails: status failed, one line naming every URL and why, nothing in the cache', async () => {
  const cache = freshCache();
  const urls = ['/404/zlib.tar.gz', '/bad/zlib.tar.gz'].map(u);
  const [r] = await fetchSources([spec(urls)], { cache, ...OPTS });
  assert.equal(r!.status, 'failed');
  assert.equal(
    describeFailure(r!),
    `core-zlib: zlib.tar.gz (sha256 ${shortHash(ZLIB_HASH)}) could not be fetched: ` +
      `${urls[0]} → HTTP 404; ${urls[1]} → sha256 mismatch (got ${shortHash(BAD_HASH)})`,
  );
  assert.equal(await cache.has(ZLIB_HASH), false);
  assert.deepEqual(blobListing(cache), [], 'no blob and no temp file left behind');
});

test('redirects are followed: absolute, relative, and a bounded chain', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/redirect/zlib.tar.gz')])], { cache, ...OPTS });
  assert.equal(r!.status, 'fetched');
  assert.deepEqual(r!.attempts, [{ url: u('/redirect/zlib.tar.gz'), finalUrl: u('/good/zlib.tar.gz') }]);

  const c2 = freshCache();
  const [r2] = await fetchSources([spec([u('/relative/zlib.tar.gz')])], { cache: c2, ...OPTS });
  assert.equal(r2!.status, 'fetched');
  assert.equal(r2!.attempts[0]!.finalUrl, u('/good/zlib.tar.gz'));

  const c3 = freshCache();
  const [r3] = await fetchSources([spec([u('/chain/2/zlib.tar.gz')])], { cache: c3, ...OPTS, maxRedirects: 3 });
  assert.equal(r3!.status, 'fetched');
});

test('too many redirects, a redirect loop and a redirect without Location fail with reasons', async () => {
  const cache = freshCache();
  const urls = [u('/chain/5/zlib.tar.gz'), u('/loop/a'), u('/no-location/zlib.tar.gz')];
  const [r] = await fetchSources([spec(urls)], { cache, ...OPTS, maxRedirects: 3 });
  assert.equal(r!.status, 'failed');
  assert.deepEqual(
    r!.attempts.map((a) => a.reason),
    ['too many redirects (more than 3)', `redirect loop (back to ${u('/loop/a')})`, 'HTTP 302 redirect without a Location header'],
  );
  assert.deepEqual(blobListing(cache), []);
});

test('a slow mirror is abandoned after the idle timeout and the next one is used', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/slow/zlib.tar.gz'), u('/good/zlib.tar.gz')])], { cache, idleTimeoutMs: 1000 });
  assert.equal(r!.status, 'fetched');
  assert.equal(r!.url, u('/good/zlib.tar.gz'));
  assert.equal(r!.attempts[0]!.reason, 'no data for 1 s (idle timeout) after 3 bytes');
});

test('a refused connection and an unsupported scheme are reasons, not crashes', async () => {
  const closed = http.createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((res) => closed.close(() => res()));
  const cache = freshCache();
  const urls = [`http://127.0.0.1:${port}/zlib.tar.gz`, 'ftp://127.0.0.1/zlib.tar.gz', 'not a url'];
  const [r] = await fetchSources([spec(urls)], { cache, ...OPTS });
  assert.deepEqual(
    r!.attempts.map((a) => a.reason),
    ['connection failed (ECONNREFUSED)', "unsupported URL scheme 'ftp:'", 'not a valid URL'],
  );
});

test('a chunked body cut short, and a redirect to a local file, are refused', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/cut/zlib.tar.gz'), u('/to-file/zlib.tar.gz')])], { cache, ...OPTS });
  assert.equal(r!.status, 'failed');
  assert.deepEqual(
    r!.attempts.map((a) => a.reason),
    ['connection closed after 10 bytes', "redirect to unsupported scheme 'file:'"],
  );
  assert.deepEqual(blobListing(cache), []);
});

test('a body without Content-Length (chunked) is accepted', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/chunked/zlib.tar.gz')])], { cache, ...OPTS });
  assert.equal(r!.status, 'fetched');
  assert.deepEqual(readFileSync(cache.path(ZLIB_HASH)), ZLIB);
});

test('a body over the size cap is refused, declared or streamed', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([u('/good/zlib.tar.gz'), u('/chunked/zlib.tar.gz')])], { cache, ...OPTS, maxBytes: 1000 });
  assert.deepEqual(
    r!.attempts.map((a) => a.reason),
    ['larger than the 1000-byte limit (Content-Length 70000)', 'larger than the 1000-byte limit'],
  );
  assert.deepEqual(blobListing(cache), []);
});

test('file:// mirrors work, and a missing file is a reason', async () => {
  const dir = path.join(tmp, 'files');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'zlib.tar.gz'), ZLIB);
  const cache = freshCache();
  const missing = pathToFileURL(path.join(dir, 'nope.tar.gz')).href;
  const good = pathToFileURL(path.join(dir, 'zlib.tar.gz')).href;
  const [r] = await fetchSources([spec([missing, good])], { cache, ...OPTS });
  assert.equal(r!.status, 'fetched');
  assert.equal(r!.url, good);
  assert.equal(r!.attempts[0]!.reason, 'no such file');
  assert.deepEqual(readFileSync(cache.path(ZLIB_HASH)), ZLIB);
});

test('extra mirror prefixes (strata.toml, then STRATA_MIRRORS) are tried after the own mirrors', async () => {
  const env = { STRATA_MIRRORS: `  ${u('/404')}   ${u('/good/')} ` };
  const fromEnv = mirrorsFromEnv(env);
  assert.deepEqual(fromEnv, [u('/404'), u('/good/')]);
  const s = spec([u('/bad/zlib.tar.gz')]);
  const tomlPrefixes = [u('/500')];
  assert.deepEqual(candidateUrls([s], [...tomlPrefixes, ...fromEnv]), [
    u('/bad/zlib.tar.gz'),
    u('/500/zlib.tar.gz'),
    u('/404/zlib.tar.gz'),
    u('/good/zlib.tar.gz'),
  ]);
  const cache = freshCache();
  const [r] = await fetchSources([s], { cache, ...OPTS, mirrorPrefixes: [...tomlPrefixes, ...fromEnv] });
  assert.equal(r!.status, 'fetched');
  assert.equal(r!.url, u('/good/zlib.tar.gz'));
  assert.equal(r!.attempts.length, 4);
});

test('prefix URLs encode the file name; bad STRATA_MIRRORS entries are input errors', () => {
  assert.equal(prefixUrl('https://m.example/src/', 'a b+c.tar.gz'), 'https://m.example/src/a%20b%2Bc.tar.gz');
  assert.throws(
    () => mirrorsFromEnv({ STRATA_MIRRORS: 'https://ok.example /relative/path' }),
    (e: unknown) => e instanceof StrataError && e.code === 'source/bad-mirror-prefix' && e.exitCode === 2 && /\/relative\/path/.test(e.message),
  );
  assert.deepEqual(mirrorsFromEnv({}), []);
});

test('offline: cached sources are reported cached, missing ones missing, and nothing is requested', async () => {
  const cache = freshCache();
  await fetchSources([spec([u('/good/zlib.tar.gz')])], { cache, ...OPTS });
  const before = mirror.hits.length;
  const small = spec([u('/good/small.txt')], { id: 'small', file: 'small.txt', hash: sha(SMALL), owner: 'core-small' });
  const rs = await fetchSources([spec([u('/good/zlib.tar.gz')]), small], { cache, offline: true });
  assert.deepEqual(rs.map((r) => r.status), ['cached', 'missing']);
  assert.equal(mirror.hits.length, before);
  assert.match(describeFailure(rs[1]!), /^core-small: small\.txt \(sha256 [0-9a-f]{12}…\) is not in the cache and --offline forbids fetching it$/);
});

test('sources sharing a hash are downloaded once; concurrency stays within --jobs', async () => {
  const cache = freshCache();
  const specs: SourceSpec[] = [spec([u('/good/zlib.tar.gz')]), spec([u('/good/zlib.tar.gz')], { owner: 'core-zlib2' })];
  for (let i = 0; i < 5; i++) {
    const b = bytesOf(`f${i}`, 3000);
    mirror.serve(`f${i}.bin`, b);
    specs.push({ id: `f${i}`, file: `f${i}.bin`, hash: sha(b), urls: [u(`/good/f${i}.bin`)], owner: `core-f${i}` });
  }
  const before = mirror.hits.filter((h) => h === '/good/zlib.tar.gz').length;
  let running = 0;
  let most = 0;
  const onEvent = (e: FetchEvent): void => {
    if (e.type === 'start') most = Math.max(most, ++running);
    if (e.type === 'finish' && e.results[0]!.status !== 'cached') running--;
  };
  const rs = await fetchSources(specs, { cache, ...OPTS, jobs: 2, onEvent });
  assert.deepEqual(rs.map((r) => r.status), Array(7).fill('fetched'));
  assert.deepEqual(rs.map((r) => r.spec.owner).slice(0, 2), ['core-zlib', 'core-zlib2']);
  assert.equal(mirror.hits.filter((h) => h === '/good/zlib.tar.gz').length - before, 1);
  assert.ok(most <= 2 && most >= 1, `at most 2 at once, saw ${most}`);
  assert.equal((await cache.list()).length, 6);
});

test('a source with no URL at all fails with a line that says so', async () => {
  const cache = freshCache();
  const [r] = await fetchSources([spec([])], { cache });
  assert.equal(r!.status, 'failed');
  assert.match(describeFailure(r!), /no mirrors and no extra mirror prefixes are set$/);
});

test('https: an untrusted certificate is a reason; a trusted one works, and https → http redirects are followed', async (t) => {
  const dir = path.join(tmp, 'tls');
  mkdirSync(dir, { recursive: true });
  const gen = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { encoding: 'utf8' });
  if (gen.error) return t.skip('openssl is not installed');
  assert.equal(gen.status, 0, gen.stderr);
  const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
    if (req.url === '/zlib.tar.gz') return void res.writeHead(200, { 'content-length': ZLIB.length }).end(ZLIB);
    if (req.url === '/to-http') return void res.writeHead(302, { location: u('/good/zlib.tar.gz') }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const untrusted = await fetchSources([spec([`${base}/zlib.tar.gz`])], { cache: freshCache(), ...OPTS });
    assert.deepEqual(untrusted[0]!.attempts.map((a) => a.reason), ['connection failed (DEPTH_ZERO_SELF_SIGNED_CERT)']);
    const cache = freshCache();
    const trusted = await fetchSources([spec([`${base}/404`, `${base}/zlib.tar.gz`])], { cache, ...OPTS, ca: cert });
    assert.equal(trusted[0]!.status, 'fetched');
    assert.equal(trusted[0]!.url, `${base}/zlib.tar.gz`);
    assert.deepEqual(readFileSync(cache.path(ZLIB_HASH)), ZLIB);
    const down = await fetchSources([spec([`${base}/to-http`])], { cache: freshCache(), ...OPTS, ca: cert });
    assert.deepEqual(down[0]!.attempts, [{ url: `${base}/to-http`, finalUrl: u('/good/zlib.tar.gz') }]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  }
});
