import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Verdict } from '../audit/types.js';
import type { QuorumResult } from '../trust/quorum.js';
import type { DigestEntry } from '../trust/digests-file.js';
import { statusRows, statusTable, type StoreFact } from './status.js';
import { main } from '../cli/main.js';
import { bufferIO } from '../cli/io.js';
import { repoRoot } from '../testutil/paths.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function entry(image: string, digest: string): DigestEntry {
  return { image, digest, location: { file: 'digests/x.txt', line: 1, col: 1 } };
}

function verdict(name: string, bootstrapped: boolean): Verdict {
  return {
    name,
    bootstrapped,
    reasons: bootstrapped
      ? []
      : [{ code: 'external-image', message: "FROM takes 'docker.io/library/alpine' from outside the tree", location: { file: 'C', line: 1, col: 6 }, hint: undefined }],
    path: [],
    roots: [],
  };
}

function quorum(image: string, digest: string, names: string[], threshold: number): QuorumResult {
  return {
    image,
    digest,
    threshold,
    ok: names.length >= threshold,
    accepted: names.map((name, i) => ({
      source: `s${i}`, handle: name.toLowerCase(), name, keyLabel: 'k', primaryFingerprint: `${i}`, signingKeyFingerprint: `${i}`,
      legacy: false, untrustedDockerReference: `x/${image}:1`,
    })),
    rejected: [],
  };
}

test('a row is ok only when the store holds that digest, it is bootstrapped and the quorum holds', () => {
  const digests = [entry('x-b', B), entry('x-a', A), entry('x-c', A), entry('x-d', A)];
  const store = new Map<string, StoreFact>([
    ['x-a', { digest: A, size: 2048 }],
    ['x-b', { digest: A, size: 10 }],
    ['x-d', { digest: A, size: 5 }],
  ]);
  const verdicts = new Map([['x-a', verdict('x-a', true)], ['x-b', verdict('x-b', true)], ['x-c', verdict('x-c', true)], ['x-d', verdict('x-d', false)]]);
  const q = new Map([
    ['x-a', quorum('x-a', A, ['Bob', 'Alice'], 2)],
    ['x-b', quorum('x-b', B, ['Alice', 'Bob'], 2)],
    ['x-c', quorum('x-c', A, ['Alice', 'Bob'], 2)],
    ['x-d', quorum('x-d', A, ['Alice'], 2)],
  ]);
  const rows = statusRows(digests, store, verdicts, q);
  assert.deepEqual(rows.map((r) => [r.image, r.store, r.ok]), [
    ['x-a', 'ok', true],
    ['x-b', 'different', false],
    ['x-c', 'missing', false],
    ['x-d', 'ok', false],
  ]);
  assert.deepEqual(rows[0]!.quorum, { ok: true, threshold: 2, signers: ['Alice', 'Bob'] });
  assert.equal(rows[1]!.size, undefined, 'no size for an image the store holds under another digest');
  const table = statusTable(rows);
  assert.match(table, /^IMAGE +DIGEST +SIZE +BOOTSTRAPPED +SIGNERS$/m);
  assert.match(table, /^x-a +aaaaaaaaaaaa +2\.0 KiB +yes +2\/2 ok: Alice, Bob$/m);
  assert.match(table, /^x-c +aaaaaaaaaaaa \(not in store\) +- +yes/m);
  assert.match(table, /^x-d .* no +1\/2 FAIL: Alice$/m);
  assert.match(table, /x-d: not bootstrapped: C:1:6: FROM takes/);
});

test('without signatures the quorum is not part of the verdict', () => {
  const rows = statusRows([entry('x-a', A)], new Map([['x-a', { digest: A, size: 1 }]]), new Map([['x-a', verdict('x-a', true)]]), undefined);
  assert.equal(rows[0]!.quorum, undefined);
  assert.equal(rows[0]!.ok, true);
  assert.match(statusTable(rows), /^x-a +aaaaaaaaaaaa +1 B +yes +-$/m);
});

test('an image in digests/*.txt but not in the tree is not bootstrapped and says why', () => {
  const rows = statusRows([entry('x-gone', A)], new Map(), new Map(), undefined);
  assert.equal(rows[0]!.bootstrapped, false);
  assert.deepEqual(rows[0]!.auditReasons, ['not audited: the image is not in the tree']);
});

test('strata status: no digests is bad input (exit 2, one line); recorded digests not in the store fail (exit 1)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-status-'));
  try {
    cpSync(path.join(repoRoot, 'testdata', 'audit', 'clean'), path.join(dir, 'tree'), { recursive: true });
    const none = bufferIO({}, dir);
    assert.equal(await main(['status', '--tree', 'tree'], none), 2);
    assert.equal(none.stderr().trim().split('\n').length, 1);
    assert.match(none.stderr(), /digests/);

    mkdirSync(path.join(dir, 'tree', 'digests'));
    writeFileSync(path.join(dir, 'tree', 'digests', 'bootstrap.txt'), `${'a'.repeat(64)} bootstrap-seed\n`);
    writeFileSync(path.join(dir, 'tree', 'digests', 'core.txt'), `${'b'.repeat(64)} core-tool\n`);
    const io = bufferIO({}, dir);
    const code = await main(['status', '--tree', 'tree', '--json'], io);
    assert.equal(code, 1, io.stderr());
    const rows = JSON.parse(io.stdout()) as { name: string; store: string; bootstrapped: boolean; ok: boolean }[];
    assert.deepEqual(rows.map((r) => [r.name, r.store, r.bootstrapped, r.ok]), [
      ['bootstrap-seed', 'missing', true, false],
      ['core-tool', 'missing', true, false],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
