/**
 * Seeds in builds (ADR 0060, 0136): the builder decodes the `[seed]` source with the hex0
 * reader, refuses a hash mismatch, places the bytes in the context and, after the build,
 * requires the fixpoint in the image to be byte-identical to the seed — before the image
 * is referenced in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSeed } from '../bootstrap/seed.js';
import { bufferIO } from '../cli/io.js';
import { main } from '../cli/main.js';
import { OciStore } from '../store/store.js';
import { fsckStore } from '../store/fsck.js';
import { repoRoot } from '../testutil/paths.js';
import { firstDifference, seedKeyLocation } from './seed-fixpoint.js';
import { addPackage, tempDir, writeFiles } from './testsupport/busybox-tree.js';
import { imageView } from './testsupport/inspect.js';

async function strata(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({});
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** A temp tree holding a copy of distribution/'s hex0 package (so digests/ is not written into the repo). */
function hex0Tree(): string {
  const tree = tempDir('strata-seed-tree-');
  cpSync(path.join(repoRoot, 'distribution', 'strata.toml'), path.join(tree, 'strata.toml'));
  cpSync(path.join(repoRoot, 'distribution', 'packages', 'bootstrap', 'hex0'), path.join(tree, 'packages', 'bootstrap', 'hex0'), { recursive: true });
  return tree;
}

const newStore = (): string => path.join(tempDir('strata-seed-store-'), 'store');

test('pure: seedKeyLocation and firstDifference', () => {
  const toml = '[package]\nname = "x"\n\n[seed]\nsource = "s"\n  fixpoint = "/bin/x"\n[other]\nfixpoint = 1\n';
  assert.deepEqual(seedKeyLocation(toml, 'p.toml', 'fixpoint'), { file: 'p.toml', line: 6, col: 3 });
  assert.deepEqual(seedKeyLocation(toml, 'p.toml', 'hash'), { file: 'p.toml', line: 4, col: 1 });
  assert.deepEqual(seedKeyLocation('[package]\n', 'p.toml', 'hash'), { file: 'p.toml' });
  assert.equal(firstDifference(Buffer.from('abc'), Buffer.from('abc')), -1);
  assert.equal(firstDifference(Buffer.from('abc'), Buffer.from('abd')), 2);
  assert.equal(firstDifference(Buffer.from('ab'), Buffer.from('abc')), 2);
});

test("distribution/'s hex0 seed builds in the sandbox and passes its fixpoint", async () => {
  const tree = hex0Tree();
  const store = newStore();
  const r = await strata('build', '--tree', tree, '--store', store, 'bootstrap-hex0');
  assert.equal(r.code, 0, r.err);
  const seed = (await loadSeed(path.join(tree, 'packages', 'bootstrap', 'hex0')))!;
  const view = await imageView(store, 'bootstrap-hex0');
  const node = view.node('bin/hex0')!;
  assert.equal(node.kind, 'file');
  assert.deepEqual(new Uint8Array(readFileSync(node.abs)), seed.bytes);
  assert.equal(createHash('sha256').update(seed.bytes).digest('hex'), seed.spec.hash);
  const log = readFileSync(path.join(store, 'strata', 'logs', 'bootstrap-hex0.log'), 'utf8');
  assert.match(log, /seed fixpoint \/bin\/hex0: identical to the seed/);
  assert.match(readFileSync(path.join(tree, 'digests', 'bootstrap.txt'), 'utf8'), /^[0-9a-f]{64} bootstrap-hex0\n$/);
});

test('a tampered seed source (one hex digit changed) is refused: exit 1 at the hash line, nothing stored', async () => {
  const tree = hex0Tree();
  const src = path.join(tree, 'packages', 'bootstrap', 'hex0', 'hex0.hex0');
  const text = readFileSync(src, 'utf8');
  const tampered = text.replace(/^7F 45 4C 46 /m, '7F 45 4C 47 ');
  assert.notEqual(tampered, text);
  writeFileSync(src, tampered);
  const store = newStore();
  const r = await strata('build', '--tree', tree, '--store', store, 'bootstrap-hex0');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /package\.toml:13:1: seed hex0\.hex0 decodes to sha256 [0-9a-f]{64}, not the declared 8066570d[0-9a-f]{56} — audit the change/);
  assert.equal(await (await OciStore.open(store, { create: true })).resolveRef('bootstrap-hex0'), undefined);
  assert.equal(existsSync(path.join(tree, 'digests')), false);
});

/** A package whose seed is the 5 bytes "Hello" and whose Containerfile puts `file` at /bin/x. */
function fixpointTree(copyFrom: string, extra: Record<string, string> = {}): string {
  const tree = tempDir('strata-seed-fix-');
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  const hash = createHash('sha256').update('Hello').digest('hex');
  addPackage(tree, 'bootstrap', 's', `FROM scratch\n${copyFrom}\n`, { 's.hex0': '# the seed\n48 65 6c 6c 6f  ; Hello\n', ...extra },
    `\n[seed]\nsource = "s.hex0"\nhash = "${hash}"\nfile = "s-seed"\nfixpoint = "/bin/x"\n`);
  return tree;
}

test('a fixpoint holding the seed bytes passes', async () => {
  const tree = fixpointTree('COPY s-seed /bin/x');
  const store = newStore();
  const r = await strata('build', '--tree', tree, '--store', store, 'bootstrap-s');
  assert.equal(r.code, 0, r.err);
  const view = await imageView(store, 'bootstrap-s');
  assert.equal(readFileSync(view.node('bin/x')!.abs, 'utf8'), 'Hello');
});

test('a fixpoint holding other bytes fails the build: exit 1 at the fixpoint line, no image, store intact', async () => {
  const tree = fixpointTree('COPY other /bin/x', { other: 'World' });
  const store = newStore();
  const r = await strata('build', '--tree', tree, '--store', store, 'bootstrap-s');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /package\.toml:9:1: seed fixpoint \/bin\/x in image bootstrap-s differs from the seed \(5 bytes vs 5; first difference at byte 0\) — the seed did not reproduce itself/);
  const s = await OciStore.open(store);
  assert.equal(await s.resolveRef('bootstrap-s'), undefined);
  assert.deepEqual((await fsckStore(store)).problems, []);
  assert.equal(existsSync(path.join(tree, 'digests', 'bootstrap.txt')), false);
});

test('a missing fixpoint fails the build', async () => {
  const tree = fixpointTree('COPY s-seed /bin/y');
  const r = await strata('build', '--tree', tree, '--store', newStore(), 'bootstrap-s');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /seed fixpoint \/bin\/x in image bootstrap-s is missing, not a file equal to the seed/);
});
