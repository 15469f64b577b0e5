/**
 * The reference distribution, end to end (issue 6): distribution/ is copied to a temporary
 * directory and every image is built by strata in the real sandbox, starting from the
 * seed. Then, for every image:
 *  - its files, read straight out of its layer blobs, equal byte for byte (and mode for
 *    mode) what the TypeScript references produce from the same sources when the same
 *    Containerfiles are interpreted without a sandbox (reference-build.ts);
 *  - it holds exactly the files it built (one tool under /bin, nothing else);
 *  - the seed fixpoint holds: /bin/hex0 is the decoded seed;
 *  - `audit` says bootstrapped: yes, from the one seed;
 *  - its digest equals the committed distribution/digests/bootstrap.txt;
 *  - `verify --vary` rebuilds it from scratch in a fresh store, with the build environment
 *    varied (umask, clock, build path, job count, context order), and reproduces the digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditTree } from '../audit/audit.js';
import { canRunNative } from '../bootstrap/native-run.js';
import { loadSeed } from '../bootstrap/seed.js';
import { buildTree, type BuildReport } from '../build/build.js';
import { repoRoot } from '../testutil/paths.js';
import { verifyTree } from '../verify/verify.js';
import { readStoredImage } from './image-files.js';
import { parentDirs, TOOL_OUTPUT_MODE } from './reference-build.js';
import { referenceTree, type ReferenceTree } from './reference-tree.js';

const distribution = path.join(repoRoot, 'distribution');
const committedDigests = path.join(distribution, 'digests', 'bootstrap.txt');

/** What each image must hold: exactly one tool, under /bin (docs/bootstrap.md). */
const EXPECTED_FILES: Readonly<Record<string, readonly string[]>> = {
  'bootstrap-hex0': ['bin/hex0'],
  'bootstrap-hex1': ['bin/hex1'],
  'bootstrap-hex2': ['bin/hex2'],
  'bootstrap-catm': ['bin/catm'],
  'bootstrap-m0': ['bin/M0'],
  'bootstrap-run': ['bin/run'],
  'bootstrap-mkdir': ['bin/mkdir'],
  'bootstrap-cp': ['bin/cp'],
  'bootstrap-chmod': ['bin/chmod'],
  'bootstrap-sha256sum': ['bin/sha256sum'],
};
const IMAGES = Object.keys(EXPECTED_FILES).sort();

interface Built {
  readonly base: string;
  readonly tree: string;
  readonly store: string;
  readonly report: BuildReport;
}

let built: Promise<Built> | undefined;
/** distribution/ (without its digests) copied to a temp dir and built once, for every test. */
function buildDistribution(): Promise<Built> {
  built ??= (async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'strata-distribution-'));
    const tree = path.join(base, 'tree');
    cpSync(path.join(distribution, 'strata.toml'), path.join(tree, 'strata.toml'));
    cpSync(path.join(distribution, 'packages'), path.join(tree, 'packages'), { recursive: true });
    const store = path.join(base, 'store');
    const report = await buildTree({ tree, store, images: [], all: true, env: {}, sourceCache: path.join(base, 'sources') });
    return { base, tree, store, report };
  })();
  return built;
}

let reference: ReferenceTree | undefined;
const ref = (): ReferenceTree => (reference ??= referenceTree(distribution));

const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `<hex> <image>` lines → image → hex. */
function digestLines(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((l) => l !== '').map((l) => {
    const [h, name] = l.split(' ');
    return [name!, h!];
  }));
}

test.after(async () => {
  if (built) rmSync((await built).base, { recursive: true, force: true });
});

test('the reference build: every image of distribution/ is one tool, the seed is its own fixpoint, each assembler is the reference', () => {
  const r = ref();
  assert.deepEqual([...r.images.keys()].sort(), IMAGES);
  for (const [image, files] of r.images) assert.deepEqual([...files.keys()].sort(), EXPECTED_FILES[image], image);
  const seed = r.seeds.get('bootstrap-hex0');
  assert.ok(seed && seed.length <= 256);
  assert.deepEqual(r.images.get('bootstrap-hex0')!.get('bin/hex0')!.bytes, seed);
  // each assembler image is the binary the references build from its source
  const toolImage: Record<string, string> = { hex0: 'bootstrap-hex0', hex1: 'bootstrap-hex1', hex2: 'bootstrap-hex2', catm: 'bootstrap-catm', M0: 'bootstrap-m0' };
  for (const t of r.tools) {
    const file = r.images.get(toolImage[t.name]!)!.get(`bin/${t.name}`)!;
    assert.deepEqual(file.bytes, t.binary, t.name);
    assert.equal(file.mode, TOOL_OUTPUT_MODE);
  }
});

test('strata builds every image of distribution/ from the seed in the sandbox', async () => {
  const b = await buildDistribution();
  assert.deepEqual(b.report.results.map((r) => r.image).sort(), IMAGES);
  for (const r of b.report.results) {
    assert.equal(r.cached, false, r.image);
    assert.equal(r.hermetic, true, r.image);
  }
  assert.match(readFileSync(path.join(b.store, 'strata', 'logs', 'bootstrap-hex0.log'), 'utf8'), /seed fixpoint \/bin\/hex0: identical to the seed/);
});

test('every built image holds exactly the files of the reference build, byte for byte and mode for mode', async () => {
  const b = await buildDistribution();
  for (const image of IMAGES) {
    const stored = await readStoredImage(b.store, image);
    const expected = ref().images.get(image)!;
    const dirs = parentDirs(expected.keys());
    assert.deepEqual([...stored.files.keys()].sort(), [...dirs, ...expected.keys()].sort(), `${image}: the image holds other paths than it built`);
    for (const d of dirs) {
      const e = stored.files.get(d)!;
      assert.equal(e.kind, 'dir', `${image}: /${d}`);
      assert.equal(e.mode, 0o755, `${image}: /${d}`);
    }
    for (const [p, want] of expected) {
      const got = stored.files.get(p)!;
      assert.equal(got.kind, 'file', `${image}: /${p}`);
      assert.equal(got.mode.toString(8), want.mode.toString(8), `${image}: mode of /${p}`);
      assert.equal(got.uid, 0);
      assert.equal(got.gid, 0);
      assert.ok(got.bytes, `${image}: /${p} has contents`);
      assert.equal(hex(got.bytes), hex(want.bytes), `${image}: /${p} differs from the TypeScript reference (${got.bytes.length} bytes, reference ${want.bytes.length})`);
    }
  }
});

test("the seed fixpoint: bootstrap-hex0's /bin/hex0 is the seed decoded from its audited source", async () => {
  const b = await buildDistribution();
  const seed = (await loadSeed(path.join(distribution, 'packages', 'bootstrap', 'hex0')))!;
  assert.equal(seed.spec.fixpoint, '/bin/hex0');
  assert.equal(hex(seed.bytes), seed.spec.hash);
  const stored = await readStoredImage(b.store, 'bootstrap-hex0');
  assert.deepEqual(stored.files.get('bin/hex0')?.bytes, seed.bytes);
});

test('the sha256sum taken out of its image hashes every tool taken out of its image as node:crypto does', { skip: !canRunNative }, async () => {
  const b = await buildDistribution();
  const dir = mkdtempSync(path.join(b.base, 'tools-'));
  const files: string[] = [];
  for (const image of IMAGES) {
    for (const p of EXPECTED_FILES[image]!) {
      const f = path.join(dir, path.basename(p));
      writeFileSync(f, (await readStoredImage(b.store, image)).files.get(p)!.bytes!);
      chmodSync(f, 0o755);
      files.push(f);
    }
  }
  const r = spawnSync(path.join(dir, 'sha256sum'), files, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, files.map((f) => `${hex(readFileSync(f))}  ${f}\n`).join(''));
});

test('audit: every image of distribution/ is bootstrapped from the one hex0 seed', async () => {
  const b = await buildDistribution();
  const report = await auditTree({ tree: b.tree, cacheDir: path.join(b.base, 'sources') });
  assert.deepEqual(report.verdicts.map((v) => v.name), IMAGES);
  for (const v of report.verdicts) {
    assert.equal(v.bootstrapped, true, `${v.name}: ${v.reasons.map((r) => r.message).join('; ')}`);
    assert.deepEqual(v.roots.map((r) => (r.kind === 'seed' ? `${r.packageId} ${r.bytes} ${r.sha256}` : r.kind)), [
      `bootstrap-hex0 ${ref().seeds.get('bootstrap-hex0')!.length} ${hex(ref().seeds.get('bootstrap-hex0')!)}`,
    ], v.name);
  }
});

test('the digests equal the committed distribution/digests/bootstrap.txt', async () => {
  const b = await buildDistribution();
  const written = readFileSync(path.join(b.tree, 'digests', 'bootstrap.txt'), 'utf8');
  assert.deepEqual([...digestLines(written).keys()].sort(), IMAGES);
  for (const r of b.report.results) assert.equal(`sha256:${digestLines(written).get(r.image)}`, r.digest, r.image);
  const committed = digestLines(readFileSync(committedDigests, 'utf8'));
  const changed = IMAGES.filter((i) => committed.get(i) !== digestLines(written).get(i));
  assert.deepEqual(changed, [],
    `digests changed for ${changed.join(', ')} — rebuild and commit distribution/digests if the format changed on purpose ` +
    `(layer compression, tar headers, config or manifest JSON: strata build --tree distribution --all, then commit ` +
    `distribution/digests/); if the image files test above fails too, the bootstrap itself changed; otherwise it is a determinism regression.\n` +
    `built:\n${written}committed:\n${readFileSync(committedDigests, 'utf8')}`);
});

test('verify --vary: a rebuild from scratch in a fresh store, with the build environment varied, reproduces every digest', async () => {
  const b = await buildDistribution();
  const report = await verifyTree({ tree: b.tree, store: b.store, images: [], all: true, vary: true, env: { PATH: process.env.PATH } });
  assert.equal(report.vary, true);
  assert.ok(report.variations.length > 0);
  assert.deepEqual(report.images.map((i) => `${i.image} ${i.status}`), IMAGES.map((i) => `${i} reproduced`));
  assert.equal(report.ok, true);
});
