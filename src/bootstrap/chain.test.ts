/**
 * The bootstrap chain, checked on this host: every source in distribution/packages/
 * bootstrap is assembled by the previous tool run natively AND by the TypeScript
 * reference, and the two must agree byte for byte; the annotations must agree with the
 * host assembler; the tools that can rebuild themselves are fixpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, testdata } from '../testutil/paths.js';
import { decodeHex0 } from './hex0.js';
import { assembleHex1 } from './hex1.js';
import { assembleHex2 } from './hex2.js';
import { parseListing, type ListingLanguage } from './listing.js';
import { listingProblems } from './gas-check.js';
import { canRunNative, runTool } from './native-run.js';

const BASE = 0x600000;
const pkg = (name: string, file: string): string =>
  readFileSync(path.join(repoRoot, 'distribution', 'packages', 'bootstrap', name, file), 'utf8');

interface Step {
  readonly name: string;
  readonly source: string;
  readonly language: ListingLanguage;
  /** The TypeScript reference for the source's language. */
  readonly reference: (text: string) => Uint8Array;
  /** The tool that builds it (undefined: the seed builds itself). */
  readonly builtBy: string | undefined;
}

const chain: readonly Step[] = [
  { name: 'hex0', source: pkg('hex0', 'hex0.hex0'), language: 'hex0', reference: (t) => decodeHex0(t), builtBy: undefined },
  { name: 'hex1', source: pkg('hex1', 'hex1.hex0'), language: 'hex0', reference: (t) => decodeHex0(t), builtBy: 'hex0' },
  { name: 'hex2', source: pkg('hex2', 'hex2.hex1'), language: 'hex1', reference: (t) => assembleHex1(t), builtBy: 'hex1' },
  { name: 'catm', source: pkg('catm', 'catm.hex2'), language: 'hex2', reference: (t) => assembleHex2(t), builtBy: 'hex2' },
  { name: 'm0', source: pkg('m0', 'M0.hex2'), language: 'hex2', reference: (t) => assembleHex2(t), builtBy: 'hex2' },
];

/** The binaries as the TypeScript references make them. */
const reference = new Map(chain.map((s) => [s.name, s.reference(s.source)]));
const tool = (name: string): Uint8Array => reference.get(name) as Uint8Array;

for (const step of chain) {
  test(`${step.name}: every annotated statement assembles with the host assembler to exactly its bytes`, () => {
    const listing = parseListing(step.source, step.language);
    assert.ok(listing.lines.length > 50);
    assert.deepEqual(listingProblems(listing, tool(step.name), BASE), []);
  });

  test(`${step.name}: the Containerfile builds it only from the previous tool, with exec-form RUN`, () => {
    const text = pkg(step.name, 'Containerfile');
    const instructions = text.split('\n').filter((l) => /^[A-Z]+\s/.test(l));
    for (const l of instructions) assert.match(l, /^(FROM scratch( AS \w+)?|COPY |RUN \[|WORKDIR \/)/, l);
    assert.ok(instructions.some((l) => l.startsWith('RUN [')));
    const from = instructions.filter((l) => / --from=strata\//.test(l)).map((l) => /--from=strata\/(\S+)/.exec(l)?.[1]);
    assert.deepEqual(from, step.builtBy === undefined ? [] : [`bootstrap-${step.builtBy}`]);
  });
}

test('the chain, run natively: each tool built by the previous one equals the TypeScript reference', { skip: !canRunNative }, () => {
  const native = new Map<string, Uint8Array>();
  for (const step of chain) {
    const builder = step.builtBy === undefined ? tool('hex0') /* the seed */ : native.get(step.builtBy);
    assert.ok(builder, `${step.builtBy} is built before ${step.name}`);
    const r = runTool(builder, step.source);
    assert.equal(r.status, 0, step.name);
    assert.deepEqual(r.output, tool(step.name), `${step.name} built natively differs from the reference`);
    assert.equal(r.mode, 0o700);
    native.set(step.name, r.output as Uint8Array);
  }
});

test('fixpoints: the seed and hex2 rebuild themselves; hex1 and hex2 rebuild the seed', { skip: !canRunNative }, () => {
  assert.deepEqual(runTool(tool('hex0'), chain[0]!.source).output, tool('hex0'));
  // hex2's source uses one-character labels each followed by a space, so it is also hex2
  assert.deepEqual(runTool(tool('hex2'), chain[2]!.source).output, tool('hex2'));
  assert.deepEqual(assembleHex2(chain[2]!.source), tool('hex2'));
  for (const name of ['hex1', 'hex2']) {
    assert.deepEqual(runTool(tool(name), chain[0]!.source).output, tool('hex0'), name);
    assert.deepEqual(runTool(tool(name), chain[1]!.source).output, tool('hex1'), name);
  }
});

test('hex1, run natively, agrees with the reference on labels, references and comments', { skip: !canRunNative }, () => {
  const input = readFileSync(testdata('bootstrap', 'labels.hex1'));
  const r = runTool(tool('hex1'), input);
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, assembleHex1(input));
});

test('hex2, run natively, agrees with the reference on every reference kind', { skip: !canRunNative }, () => {
  const input = readFileSync(testdata('bootstrap', 'labels.hex2'));
  assert.notEqual(input[input.length - 1], 0x0a, 'the corpus file must end without a newline');
  const r = runTool(tool('hex2'), input);
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, assembleHex2(input));
  // @ and ! with both signs, a long program with many labels
  const many = Array.from({ length: 300 }, (_, i) => `:l${i} 90 !l${Math.max(0, i - 5)} @l${Math.min(299, i + 7)} %l${299 - i}`).join('\n');
  const r2 = runTool(tool('hex2'), many);
  assert.equal(r2.status, 0);
  assert.deepEqual(r2.output, assembleHex2(many));
});

test('catm, run natively, concatenates its inputs in order into a new 0700 file', { skip: !canRunNative }, () => {
  const parts = ['abc', '\ndef\n', 'x'.repeat(9000), ''];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-catm-'));
  try {
    const inputs = parts.map((p, i) => {
      const f = path.join(dir, `in${i}`);
      writeFileSync(f, p);
      return f;
    });
    const r = runTool(tool('catm'), '', (_in, out) => [out, ...inputs]);
    assert.equal(r.status, 0);
    assert.equal(Buffer.from(r.output ?? []).toString(), parts.join(''));
    assert.equal(r.mode, 0o700);
    const missing = runTool(tool('catm'), '', (_in, out) => [out, path.join(dir, 'nope')]);
    assert.notEqual(missing.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
