// strata publish / push / pull against a real registry (Debian's docker-registry on
// 127.0.0.1) behind a counting, tampering proxy; skopeo as the foreign client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { OciStore } from '../store/store.js';
import { fsckStore } from '../store/fsck.js';
import { gcStore } from '../store/gc.js';
import { cliPath } from '../testutil/paths.js';
import { parseLookasideBase } from '../trust/lookaside.js';
import { armoredPublic } from '../trust/test-keys.js';
import { pullVerified } from './pull.js';
import { startRegistry, type RunningRegistry } from '../registry/testsupport/registry-server.js';
import { startProxy, type RunningProxy, type ProxyRule } from '../registry/testsupport/proxy.js';
import { makeTrustTree, putTarImage, seededTar, signWith, writeDigests, type TrustTree } from './testsupport/fixture.js';

const execFileAsync = promisify(execFile);
let registry: RunningRegistry;
let proxy: RunningProxy;
let work: string;
let tree: TrustTree;
let storeDir: string;
let sigs: string;
const digests: Record<string, string> = {};

const IMAGES = [
  { image: 'core-hello', version: '1.0' },
  { image: 'core-world', version: '2.1' },
  { image: 'core-unsigned', version: '0.1' },
  { image: 'core-lonely', version: '3' },
];

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy(registry.port);
  work = mkdtempSync(path.join(tmpdir(), 'strata-publish-'));
  tree = await makeTrustTree(path.join(work, 'tree'), IMAGES);
  storeDir = path.join(work, 'store');
  sigs = path.join(work, 'sigs');
  const store = await OciStore.open(storeDir, { create: true });
  const base = seededTar('shared base layer', 4096);
  digests['core-hello'] = (await putTarImage(store, 'core-hello', [base, seededTar('hello top', 2048)])).digest;
  digests['core-world'] = (await putTarImage(store, 'core-world', [base, seededTar('world top', 1024), seededTar('world extra', 300)])).digest;
  digests['core-unsigned'] = (await putTarImage(store, 'core-unsigned', [seededTar('unsigned', 100)])).digest;
  digests['core-lonely'] = (await putTarImage(store, 'core-lonely', [seededTar('lonely', 100)])).digest;
  writeDigests(tree.root, digests);
  const { alice, bob, carol } = tree.keys as Record<'alice' | 'bob' | 'carol', NonNullable<TrustTree['keys'][string]>>;
  await signWith(sigs, 'core-hello', '1.0', digests['core-hello']!, [alice, bob]);
  await signWith(sigs, 'core-world', '2.1', digests['core-world']!, [bob, carol]);
  await signWith(sigs, 'core-lonely', '3', digests['core-lonely']!, [alice]);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function strata(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({ HOME: work }, work);
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** skopeo, asynchronously: the proxy runs in this process and must keep answering. */
async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 60_000 });
  return stdout;
}

/** Every file under `dir` with the sha256 of its content (a store "snapshot"). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const uploadsSince = (from: number): number =>
  proxy.requests.slice(from).filter((r) => r.url.includes('/blobs/uploads/') || (r.method === 'PUT' && r.url.includes('/manifests/'))).length;

test('publish: quorum, blobs then manifest, tags at the platform manifest, shared layer mounted, lookaside written', async () => {
  const from = proxy.requests.length;
  const lookaside = path.join(work, 'lookaside');
  const r = await strata('publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, '--tag', 'stable', '--lookaside', lookaside, '--json', 'core-hello', 'core-world');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { images: { image: string; digest: string; uploaded: string[]; mounted: string[]; skipped: string[]; tags: string[]; signaturesWritten: number }[]; totals: { uploaded: number } };
  const hello = report.images.find((i) => i.image === 'core-hello')!;
  const world = report.images.find((i) => i.image === 'core-world')!;
  assert.equal(hello.digest, digests['core-hello']);
  assert.deepEqual(hello.tags, ['1.0', 'latest', 'stable']);
  assert.equal(hello.uploaded.length, 3); // config + 2 layers
  assert.equal(world.mounted.length, 1, 'the shared base layer is mounted from stagex/core-hello');
  assert.equal(world.uploaded.length, 3);
  assert.equal(hello.signaturesWritten, 2);
  // blobs come before the manifest
  const reqs = proxy.requests.slice(from).filter((q) => q.url.includes('/stagex/core-hello/'));
  const firstManifestPut = reqs.findIndex((q) => q.method === 'PUT' && q.url.includes('/manifests/'));
  const lastBlobPut = reqs.map((q) => q.method === 'PUT' && q.url.includes('/blobs/uploads/')).lastIndexOf(true);
  assert.ok(firstManifestPut > lastBlobPut);
  // lookaside layout
  const dir = path.join(lookaside, 'stagex', `core-hello@sha256=${digests['core-hello']!.slice(7)}`);
  assert.deepEqual(readdirSync(dir).sort(), ['signature-1', 'signature-2']);

  // skopeo sees the same digest under every tag, and copies it byte for byte
  for (const tag of ['1.0', 'latest', 'stable']) {
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${proxy.host}/stagex/core-hello:${tag}`)) as { Digest: string };
    assert.equal(info.Digest, digests['core-hello']);
  }
  const copyDir = path.join(work, 'skopeo-copy');
  await skopeo('copy', '--preserve-digests', '--dest-oci-accept-uncompressed-layers', '--src-tls-verify=false', `docker://${proxy.host}/stagex/core-world:2.1`, `oci:${copyDir}:w`);
  const idx = JSON.parse(readFileSync(path.join(copyDir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(idx.manifests[0]!.digest, digests['core-world']);

  // strata pull into an empty store: identical digests, fsck clean
  const fresh = path.join(work, 'pulled');
  const p = await strata('pull', '--tree', tree.root, '--store', fresh, '--signatures', lookaside, '--json', `${proxy.host}/stagex/core-hello:stable`);
  assert.equal(p.code, 0, p.err);
  const pulled = JSON.parse(p.out) as { digest: string; ref: string; fetched: string[] };
  assert.equal(pulled.digest, digests['core-hello']);
  assert.equal(pulled.fetched.length, 4);
  const store = await OciStore.open(fresh);
  assert.equal((await store.resolveRef('core-hello'))?.digest, digests['core-hello']);
  const original = await OciStore.open(storeDir);
  const m1 = await store.readManifest(pulled.digest as never);
  const m2 = await original.readManifest(pulled.digest as never);
  assert.deepEqual(m1, m2);
  assert.equal((await fsckStore(fresh)).ok, true);

  // publishing again uploads nothing and moves no tag; the lookaside is not duplicated
  const again = proxy.requests.length;
  const r2 = await strata('publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, '--tag', 'stable', '--lookaside', lookaside, '--json', 'core-hello', 'core-world');
  assert.equal(r2.code, 0, r2.err);
  assert.equal(uploadsSince(again), 0);
  const report2 = JSON.parse(r2.out) as { totals: { uploaded: number; mounted: number; skipped: number; tagsPut: number; signaturesWritten: number } };
  assert.deepEqual(report2.totals, { ...report2.totals, uploaded: 0, mounted: 0, skipped: 7, tagsPut: 0, signaturesWritten: 0 });
  assert.deepEqual(readdirSync(dir).sort(), ['signature-1', 'signature-2']);

  // pulling again fetches no blob
  const p2 = await strata('pull', '--tree', tree.root, '--store', fresh, '--signatures', sigs, '--json', `${proxy.host}/stagex/core-hello@${digests['core-hello']}`);
  assert.equal(p2.code, 0, p2.err);
  assert.deepEqual((JSON.parse(p2.out) as { fetched: string[] }).fetched, []);
});

test('publish refuses an image without quorum, before sending anything', async () => {
  const from = proxy.requests.length;
  const r = await strata('publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, 'core-hello', 'core-lonely', 'core-unsigned');
  assert.equal(r.code, 1);
  assert.match(r.err, /publish refused: core-lonely has 1 of 2 maintainer signature\(s\).*core-unsigned has 0 of 2 maintainer signature\(s\) \(no signatures found\)/);
  assert.equal(r.err.trim().split('\n').length, 1);
  assert.equal(proxy.requests.length, from, 'no request reached the registry');
  // a lower threshold lets the singly-signed image through
  const ok = await strata('publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, '--threshold', '1', 'core-lonely');
  assert.equal(ok.code, 0, ok.err);
});

test('push needs --no-quorum; with it, unsigned images go up', async () => {
  const from = proxy.requests.length;
  const refused = await strata('push', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/private`, 'core-unsigned');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /push: refusing to push without a quorum check unless --no-quorum is given — use 'strata publish/);
  assert.equal(proxy.requests.length, from);
  const r = await strata('push', '--no-quorum', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/private`, '--json', 'core-unsigned');
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${proxy.host}/private/core-unsigned:0.1`)) as { Digest: string };
  assert.equal(info.Digest, digests['core-unsigned']);
});

test('pull refuses a digest without quorum and fetches nothing', async () => {
  // core-unsigned is in the registry (pushed above) but has no signatures
  const fresh = path.join(work, 'refused-store');
  const from = proxy.requests.length;
  const r = await strata('pull', '--tree', tree.root, '--store', fresh, '--signatures', sigs, `${proxy.host}/private/core-unsigned@${digests['core-unsigned']}`);
  assert.equal(r.code, 1);
  assert.match(r.err, /pull refused: core-unsigned has 0 of 2/);
  assert.equal(proxy.requests.length, from, 'a pull by digest sends nothing before the quorum holds');
  assert.equal(existsSync(fresh), false, 'the store was not even created');
  // by tag: only the manifest HEAD that resolves the tag
  const byTag = await strata('pull', '--tree', tree.root, '--store', fresh, '--signatures', sigs, `${proxy.host}/private/core-unsigned:0.1`);
  assert.equal(byTag.code, 1);
  assert.deepEqual(proxy.requests.slice(from).map((q) => `${q.method} ${q.url}`).filter((s) => !s.endsWith('/v2/')), ['HEAD /v2/private/core-unsigned/manifests/0.1']);
  // a signature for another repository path does not count either
  const lonely = await strata('pull', '--tree', tree.root, '--store', fresh, '--signatures', sigs, '--threshold', '1', `${proxy.host}/private/core-lonely@${digests['core-lonely']}`);
  assert.equal(lonely.code, 1);
  assert.match(lonely.err, /core-lonely has 0 of 1/);
});

async function tamperedPull(rule: ProxyRule, reference: string): Promise<{ code: number; err: string }> {
  const target = path.join(work, 'tamper-store');
  const store = await OciStore.open(target, { create: true });
  if (!(await store.resolveRef('core-lonely'))) await putTarImage(store, 'core-lonely', [seededTar('lonely', 100)]);
  const before = snapshot(target);
  proxy.rule = rule;
  try {
    const r = await strata('pull', '--tree', tree.root, '--store', target, '--signatures', sigs, reference);
    assert.deepEqual(snapshot(target), before, 'the store is unchanged');
    const fsck = await fsckStore(target, { graceSeconds: 0 });
    assert.deepEqual(fsck.problems, []);
    return { code: r.code, err: r.err };
  } finally {
    proxy.rule = undefined;
  }
}

test('tampering between registry and pull: rejected, store unchanged, fsck clean', async () => {
  const world = `${proxy.host}/stagex/core-world@${digests['core-world']}`;
  const worldTag = `${proxy.host}/stagex/core-world:2.1`;
  // Tamper with the last layer only, and answer for it after the other layers were served,
  // so verified blobs are already staged when the failure comes (they must not stay).
  const m = await (await OciStore.open(storeDir)).readManifest(digests['core-world'] as never);
  const victim = m.layers[m.layers.length - 1]!.digest;
  const others = m.layers.slice(0, -1).map((l) => l.digest as string);
  const isVictim = (url: string, method: string): boolean => method === 'GET' && url.endsWith(`/stagex/core-world/blobs/${victim}`);
  const othersServed = async (from: number): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const seen = proxy.requests.slice(from).filter((q) => q.method === 'GET' && others.some((d) => q.url.endsWith(d))).length;
      if (seen >= others.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 100));
  };
  let from = proxy.requests.length;
  const wrong = await tamperedPull(async (req, res, upstream) => {
    if (!isVictim(req.url, req.method)) return false;
    await othersServed(from);
    const up = await upstream();
    const body = Buffer.from(up.body);
    body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0xff;
    res.writeHead(up.status, up.headers);
    res.end(body);
    return true;
  }, world);
  assert.equal(wrong.code, 1, wrong.err);
  assert.match(wrong.err, /the bytes received hash to sha256:/);

  // a truncated body
  from = proxy.requests.length;
  const truncated = await tamperedPull(async (req, res, upstream) => {
    if (!isVictim(req.url, req.method)) return false;
    await othersServed(from);
    const up = await upstream();
    res.writeHead(up.status, up.headers);
    res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
    res.destroy();
    return true;
  }, world);
  assert.notEqual(truncated.code, 0);

  // a manifest whose bytes do not match the (signed) digest the tag resolved to
  const manifest = await tamperedPull(async (req, res, upstream) => {
    if (!(req.method === 'GET' && req.url.includes('/stagex/core-world/manifests/sha256:'))) return false;
    const up = await upstream();
    const altered = Buffer.from(up.body.toString('utf8').replace('"schemaVersion":2', '"schemaVersion":2 '));
    res.writeHead(up.status, { ...up.headers, 'content-length': String(altered.length) });
    res.end(altered);
    return true;
  }, worldTag);
  assert.equal(manifest.code, 1, manifest.err);
  assert.match(manifest.err, /registry\/digest-mismatch|hash/);

  // a tag moved to an unsigned digest: the quorum is checked for what the tag resolves to
  const moved = await tamperedPull(async (req, res, upstream) => {
    if (!(req.method === 'HEAD' && req.url.endsWith('/stagex/core-world/manifests/2.1'))) return false;
    const up = await upstream();
    res.writeHead(up.status, { ...up.headers, 'docker-content-digest': digests['core-unsigned']! });
    res.end();
    return true;
  }, worldTag);
  assert.equal(moved.code, 1);
  assert.match(moved.err, /core-world has 0 of 2/);
});

test('a pull killed mid-transfer (other blobs verified and staged) leaves no ref and no unverified blob; gc clears it; pulling again works', async () => {
  const target = path.join(work, 'killed-store');
  const reference = `${proxy.host}/stagex/core-world@${digests['core-world']}`;
  const m = await (await OciStore.open(storeDir)).readManifest(digests['core-world'] as never);
  const victim = m.layers[m.layers.length - 1]!.digest;
  let victimStarted = false;
  proxy.rule = async (req, res, upstream) => {
    if (!(req.method === 'GET' && req.url.endsWith(`/stagex/core-world/blobs/${victim}`))) return false;
    const up = await upstream();
    res.writeHead(up.status, up.headers);
    res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
    victimStarted = true;
    return true; // and the rest never comes
  };
  const child = spawn(process.execPath, [cliPath, 'pull', '--tree', tree.root, '--store', target, '--signatures', sigs, reference], {
    env: { ...process.env, HOME: work },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const tmpDir = path.join(target, 'tmp');
    for (let i = 0; i < 1000; i++) {
      // the victim is half-written, the other layers staged (verified, fsync'd, not renamed)
      if (victimStarted && existsSync(tmpDir) && readdirSync(tmpDir).length >= m.layers.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(victimStarted, 'the pull reached the last layer');
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await exited;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    proxy.rule = undefined;
  }
  const store = await OciStore.open(target);
  assert.equal(await store.resolveRef('core-world'), undefined, 'no ref names a partly pulled image');
  const afterKill = await fsckStore(target, { graceSeconds: 0 });
  assert.ok(afterKill.problems.length > 0, 'the staged temp files are there');
  assert.deepEqual([...new Set(afterKill.problems.map((p) => p.code))], ['store/temp-leftover'], 'nothing corrupt, nothing partial in blobs/');
  await gcStore(target, { graceSeconds: 0 });
  assert.deepEqual((await fsckStore(target, { graceSeconds: 0 })).problems, []);
  const again = await strata('pull', '--tree', tree.root, '--store', target, '--signatures', sigs, reference);
  assert.equal(again.code, 0, again.err);
  assert.equal((await store.resolveRef('core-world'))?.digest, digests['core-world']);
  assert.deepEqual((await fsckStore(target, { graceSeconds: 0 })).problems, []);
});

test('the transfer in a worker thread (the CLI) and in-process (API, callbacks in the options) store the same bytes', async () => {
  const reference = `${proxy.host}/stagex/core-world@${digests['core-world']}`;
  const viaWorker = path.join(work, 'pulled-worker');
  const inProcess = path.join(work, 'pulled-inprocess');
  const r = await strata('pull', '--tree', tree.root, '--store', viaWorker, '--signatures', sigs, reference);
  assert.equal(r.code, 0, r.err);
  const seen: string[] = [];
  const result = await pullVerified({
    reference,
    tree: tree.root,
    store: inProcess,
    signatures: parseLookasideBase(sigs, work),
    env: { HOME: work },
    // a callback cannot cross to a worker: this pull runs in-process, and the callback sees it
    clientOptions: { onExchange: (e) => void seen.push(`${e.method} ${e.url}`) },
  });
  assert.ok(seen.some((x) => x.includes('/blobs/sha256:')), 'the in-process transfer used the given client options');
  assert.equal(result.digest, digests['core-world']);
  const blobs = (d: string): Record<string, string> => snapshot(path.join(d, 'blobs'));
  assert.deepEqual(blobs(inProcess), blobs(viaWorker));
  assert.equal((await (await OciStore.open(inProcess)).resolveRef('core-world'))?.digest, digests['core-world']);
  assert.equal((await (await OciStore.open(viaWorker)).resolveRef('core-world'))?.digest, digests['core-world']);
});

test('bad input: one line, exit 2, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [['publish', '--tree', tree.root, '--store', storeDir, '--signatures', sigs, 'core-hello'], /--to REGISTRY\/NAMESPACE is required/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', 'no-registry', '--signatures', sigs, 'core-hello'], /invalid image reference 'no-registry'/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, 'core-hello'], /--signatures DIR\|URL is required/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, 'core-nothere'], /no digest recorded for image 'core-nothere'/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/other`, '--signatures', sigs, 'core-hello'], /namespace 'other', but the signatures name 'stagex'/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, '--tag', 'bad tag', 'core-hello'], /--tag 'bad tag' is not a valid tag/],
    [['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs], /name the images to publish, or pass --all/],
    [['pull', '--tree', tree.root, '--store', storeDir, '--signatures', sigs, `${proxy.host}/stagex/core-hello`], /names neither a tag nor a digest/],
    [['pull', '--tree', tree.root, '--store', storeDir, '--signatures', sigs, `${proxy.host}/stagex/core-hello@sha256:12`], /invalid image reference/],
    [['pull', '--tree', tree.root, '--store', storeDir, `${proxy.host}/stagex/core-hello:1.0`], /--signatures DIR\|URL is required/],
  ];
  const before = snapshot(storeDir);
  const from = proxy.requests.length;
  for (const [argv, re] of cases) {
    const r = await strata(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, / — /, 'has a hint');
  }
  assert.equal(proxy.requests.length, from);
  assert.deepEqual(snapshot(storeDir), before);
});

test('publish and pull take --maintainers and --keyring as check does: same names, same answers, same errors', async () => {
  const { alice } = tree.keys as Record<'alice', NonNullable<TrustTree['keys'][string]>>;
  const onlyAlice = path.join(work, 'ONLY-ALICE');
  writeFileSync(onlyAlice, `[people.alice]\nName = "Alice"\n\n[keys.alice.main]\nID = ${alice.getFingerprint().toUpperCase()}\n`);
  const aliceKeyring = path.join(work, 'alice.asc');
  writeFileSync(aliceKeyring, armoredPublic(alice));
  const hello = `${proxy.host}/stagex/core-hello@${digests['core-hello']}`;
  const fresh = path.join(work, 'trust-options-store');
  const commands: Record<'check' | 'publish' | 'pull', (...extra: string[]) => string[]> = {
    check: (...extra) => ['check', '--tree', tree.root, '--signatures', sigs, ...extra, 'core-hello'],
    publish: (...extra) => ['publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, ...extra, 'core-hello'],
    pull: (...extra) => ['pull', '--tree', tree.root, '--store', fresh, '--signatures', sigs, ...extra, hello],
  };
  const from = proxy.requests.length;
  for (const [name, argv] of Object.entries(commands)) {
    // core-hello is signed by alice and bob: with only alice as a maintainer, or only her key, it is 1 of 2.
    const fewer = await strata(...argv('--maintainers', onlyAlice));
    assert.equal(fewer.code, 1, `${name} --maintainers: ${fewer.err}`);
    assert.match(fewer.out + fewer.err, name === 'check' ? /core-hello .* 1\/2 /s : new RegExp(`${name} refused: core-hello has 1 of 2`));
    const noBobKey = await strata(...argv('--keyring', aliceKeyring));
    assert.equal(noBobKey.code, 1, `${name} --keyring: ${noBobKey.err}`);
    const warnings = noBobKey.err.split('\n').filter((l) => l.startsWith('warning: '));
    assert.deepEqual(
      warnings.map((w) => w.replace(/[0-9A-F]{40}/, 'FPR')),
      ['warning: no public key for [keys.bob.main] FPR: its signatures cannot count', 'warning: no public key for [keys.carol.main] FPR: its signatures cannot count'],
      name,
    );
    // a missing file: the same one line for every command, before anything is read or sent
    for (const option of ['--maintainers', '--keyring']) {
      const missing = await strata(...argv(option, path.join(work, 'nope')));
      assert.equal(missing.code, 2, missing.err);
      assert.equal(missing.err, `${path.join(work, 'nope')}: ${option}: no such file — check the path given to ${option}\n`, `${name} ${option}`);
    }
  }
  assert.equal(proxy.requests.length, from, 'no refused publish or pull reached the registry');
  assert.equal(existsSync(fresh), false);
  // and with the tree's own files given explicitly, the answer is the tree's: both pass
  const ok = await strata(...commands.pull('--maintainers', path.join(tree.root, 'MAINTAINERS'), '--keyring', path.join(tree.root, 'keys', 'bob.asc'), '--threshold', '1'));
  assert.equal(ok.code, 0, ok.err);
});

test('publish --all needs every image to reach the quorum; missing store content is an error naming the image', async () => {
  const r = await strata('publish', '--all', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs);
  assert.equal(r.code, 1);
  assert.match(r.err, /core-lonely has 1 of 2.*core-unsigned has 0 of 2/);
  const empty = path.join(work, 'empty-store');
  await OciStore.open(empty, { create: true });
  const missing = await strata('publish', '--tree', tree.root, '--store', empty, '--to', `${proxy.host}/stagex`, '--signatures', sigs, 'core-hello');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /core-hello: the manifest of sha256:[0-9a-f]{64} is not in the store — build the image/);
});

test('podman/skopeo consumers: the lookaside from publish plus strata policy accepts signed images and rejects unsigned ones', async () => {
  const lookaside = path.join(work, 'lookaside-policy');
  const published = await strata('publish', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, '--signatures', sigs, '--lookaside', lookaside, 'core-hello');
  assert.equal(published.code, 0, published.err);
  const unsigned = await strata('push', '--no-quorum', '--tree', tree.root, '--store', storeDir, '--to', `${proxy.host}/stagex`, 'core-unsigned');
  assert.equal(unsigned.code, 0, unsigned.err);
  const policyDir = path.join(work, 'policy');
  const pol = await strata('policy', '--tree', tree.root, '--out', policyDir, '--lookaside', lookaside, '--registry', proxy.host);
  assert.equal(pol.code, 0, pol.err);
  const consume = (ref: string, dest: string): Promise<string> =>
    execFileAsync('skopeo', ['--policy', path.join(policyDir, 'policy.json'), '--registries.d', path.join(policyDir, 'registries.d'), 'copy', '--remove-signatures', '--src-tls-verify=false', '--preserve-digests', '--dest-oci-accept-uncompressed-layers', `docker://${proxy.host}/stagex/${ref}`, `oci:${dest}:x`], { encoding: 'utf8', timeout: 60_000 }).then((r) => r.stdout);
  await consume('core-hello:1.0', path.join(work, 'consumed-hello'));
  const idx = JSON.parse(readFileSync(path.join(work, 'consumed-hello', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(idx.manifests[0]!.digest, digests['core-hello']);
  await assert.rejects(consume('core-unsigned:0.1', path.join(work, 'consumed-unsigned')), /signature/i);
});
