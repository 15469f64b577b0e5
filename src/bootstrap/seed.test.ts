import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testutil/paths.js';
import { StrataError } from '../errors.js';
import { decodeHex0 } from './hex0.js';
import { parseListing } from './listing.js';
import { listingProblems } from './gas-check.js';
import { canRunNative, runTool } from './native-run.js';
import { decodeSeed, loadSeed, MAX_SEED_BYTES, parseSeedTable } from './seed.js';

const seedDir = path.join(repoRoot, 'distribution', 'packages', 'bootstrap', 'hex0');
const seedSource = readFileSync(path.join(seedDir, 'hex0.hex0'), 'utf8');
const BASE = 0x600000;

test('the seed decodes to at most 256 bytes with the hash its [seed] table declares', async () => {
  const seed = await loadSeed(seedDir);
  assert.ok(seed);
  assert.ok(seed.bytes.length <= MAX_SEED_BYTES, `${seed.bytes.length} bytes`);
  assert.equal(createHash('sha256').update(seed.bytes).digest('hex'), seed.spec.hash);
  assert.deepEqual(seed.spec, { source: 'hex0.hex0', hash: seed.spec.hash, file: 'hex0-seed', fixpoint: '/bin/hex0' });
  // an ELF64 little-endian x86-64 executable whose program header covers exactly the file
  const b = Buffer.from(seed.bytes);
  assert.deepEqual([...b.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  assert.equal(b.readUInt16LE(0x12), 0x3e);
  assert.equal(Number(b.readBigUInt64LE(0x60)), b.length);
});

test('every annotated statement of the seed assembles with the host assembler to exactly its bytes', () => {
  const listing = parseListing(seedSource, 'hex0');
  assert.ok(listing.lines.length > 60);
  assert.deepEqual(listingProblems(listing, decodeHex0(seedSource), BASE), []);
  // every relative jump in the seed documents its arithmetic
  const jumps = listing.lines.filter((l) => /^(j[a-z]+|call)\s/.test(l.asm));
  assert.ok(jumps.length >= 10);
  for (const j of jumps) assert.match(j.remark, /0x[0-9A-F]+ [+-] 0x[0-9A-F]+ = 0x[0-9A-F]+/, `line ${j.line}`);
});

test('the seed, run natively on its own source, reproduces itself with mode 0700', { skip: !canRunNative }, () => {
  const seed = decodeHex0(seedSource);
  const r = runTool(seed, seedSource);
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, seed);
  assert.equal(r.mode, 0o700);
});

test('the seed agrees with the hex0 reader on comments, case and ignored bytes', { skip: !canRunNative }, () => {
  const seed = decodeHex0(seedSource);
  const text = 'aB cd\tEF # 12 34\n;56\n0g1x \u00e9 7f; 88\n#\n90';
  const r = runTool(seed, text);
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, decodeHex0(text));
  assert.deepEqual([...decodeHex0(text)], [0xab, 0xcd, 0xef, 0x01, 0x7f, 0x90]);
});

test('the seed exits non-zero when the input cannot be read', { skip: !canRunNative }, () => {
  const seed = decodeHex0(seedSource);
  const r = runTool(seed, '', (_in, out) => ['/nonexistent/input', out]);
  assert.notEqual(r.status, 0);
});

test('the hex0 reader refuses an unpaired digit with its location', () => {
  assert.throws(
    () => decodeHex0('00 11\n # x\n  2', 'x.hex0'),
    (e: unknown) => e instanceof StrataError && e.code === 'bootstrap/hex0-odd-digit' && e.format().startsWith('x.hex0:3:3: '),
  );
});

test('[seed] tables: bad ones fail with a location and a hint', () => {
  const good = '[package]\nname = "s"\n\n[seed]\nsource = "s.hex0"\nhash = "' + 'a'.repeat(64) + '"\nfile = "s-seed"\nfixpoint = "/bin/s"\n';
  assert.equal(parseSeedTable('[package]\nname = "s"\n', 'p.toml'), undefined);
  assert.equal(parseSeedTable(good, 'p.toml')?.file, 's-seed');
  const cases: [string, string, string][] = [
    [good.replace(/hash = .*/, 'hash = "abc"'), 'bootstrap/seed-bad-hash', 'p.toml:6:1'],
    [good.replace(/fixpoint = .*\n/, ''), 'bootstrap/seed-missing-key', 'p.toml:4:1'],
    [good.replace('file = "s-seed"', 'file = "../x"'), 'bootstrap/seed-bad-path', 'p.toml:7:1'],
    [good.replace('fixpoint = "/bin/s"', 'fixpoint = "bin/s"'), 'bootstrap/seed-bad-path', 'p.toml:8:1'],
    [good + 'extra = "1"\n', 'bootstrap/seed-unknown-key', 'p.toml:9:1'],
  ];
  for (const [text, code, where] of cases) {
    assert.throws(() => parseSeedTable(text, 'p.toml'), (e: unknown) => {
      assert.ok(e instanceof StrataError);
      assert.equal(e.code, code);
      assert.ok(e.format().startsWith(`${where}: `), e.format());
      assert.ok(e.hint);
      return true;
    });
  }
});

test('a seed whose source no longer matches its hash is refused', () => {
  const toml = readFileSync(path.join(seedDir, 'package.toml'), 'utf8');
  const spec = parseSeedTable(toml, 'package.toml');
  assert.ok(spec);
  const tampered = seedSource.replace(/^6A 3C /m, '6A 3D ');
  assert.notEqual(tampered, seedSource);
  assert.throws(() => decodeSeed(spec, tampered, 'hex0.hex0', toml, 'package.toml'), (e: unknown) => {
    return e instanceof StrataError && e.code === 'bootstrap/seed-hash-mismatch' && e.exitCode === 1 && /^package\.toml:\d+:1: /.test(e.format());
  });
  const big = '00 '.repeat(MAX_SEED_BYTES + 1);
  assert.throws(() => decodeSeed(spec, big, 'big.hex0', toml, 'package.toml'), /more than 256/);
});
