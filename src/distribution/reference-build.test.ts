/**
 * The reference build can fail: it recognises tools only by their exact bytes, runs only
 * exec-form RUN, follows source changes, and refuses what it does not model. Each case is
 * a temporary copy of distribution/ with one change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../testutil/paths.js';
import { parentDirs } from './reference-build.js';
import { referenceTree } from './reference-tree.js';

const distribution = path.join(repoRoot, 'distribution');

/** A copy of distribution/ with `edit` applied to packages/bootstrap/<pkg>/<file>. */
function withEdit(t: { after: (fn: () => void) => void }, pkg: string, file: string, edit: (text: string) => string): string {
  const tree = mkdtempSync(path.join(os.tmpdir(), 'strata-reference-'));
  t.after(() => rmSync(tree, { recursive: true, force: true }));
  cpSync(path.join(distribution, 'strata.toml'), path.join(tree, 'strata.toml'));
  cpSync(path.join(distribution, 'packages'), path.join(tree, 'packages'), { recursive: true });
  const f = path.join(tree, 'packages', 'bootstrap', pkg, file);
  const before = readFileSync(f, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, 'the edit changes the file');
  writeFileSync(f, after);
  return tree;
}

test('parentDirs: every parent once, sorted', () => {
  assert.deepEqual(parentDirs(['bin/x', 'usr/lib/a/b', 'usr/bin/y']), ['bin', 'usr', 'usr/bin', 'usr/lib', 'usr/lib/a']);
  assert.deepEqual(parentDirs(['top']), []);
});

test("a change to M0's source changes bootstrap-m0 only: the references, not the built M0, define what the tools become", (t) => {
  const original = referenceTree(distribution);
  // a NOP appended to M0's source changes /bin/M0; what M0 makes of the tools' sources is
  // defined by the reference, so the tools stay the same
  const tree = withEdit(t, 'm0', 'M0.hex2', (s) => `${s}\n90\n`);
  const changed = referenceTree(tree);
  const differs = [...original.images.keys()].filter((i) => {
    const a = original.images.get(i)!;
    const b = changed.images.get(i)!;
    return [...a].some(([p, f]) => Buffer.compare(f.bytes, b.get(p)!.bytes) !== 0);
  });
  assert.deepEqual(differs, ['bootstrap-m0']);
});

test('a RUN of a file that is not executable is refused', (t) => {
  // a source file from the context in place of the tool: not executable
  const tree = withEdit(t, 'hex2', 'Containerfile', (s) => s.replace('COPY --from=strata/bootstrap-hex1 /bin/hex1 /bin/hex1', 'COPY hex2.hex1 /bin/hex1'));
  assert.throws(() => referenceTree(tree), /Containerfile:5:1: \/bin\/hex1 is not executable \(mode 644\)/);
});

test('a RUN of a context file made executable is still none of the reference tools', (t) => {
  const tree = withEdit(t, 'hex2', 'Containerfile', (s) => s.replace('COPY --from=strata/bootstrap-hex1 /bin/hex1 /bin/hex1', 'COPY --chmod=0755 hex2.hex1 /bin/hex1'));
  assert.throws(() => referenceTree(tree), /\/bin\/hex1 is none of the reference tools \(hex0, hex1, hex2, catm, M0\)/);
});

test('shell-form RUN and unmodelled instructions are refused with their location', (t) => {
  const shell = withEdit(t, 'catm', 'Containerfile', (s) => s.replace('RUN ["/bin/hex2", "/src/catm.hex2", "/bin/catm"]', 'RUN /bin/hex2 /src/catm.hex2 /bin/catm'));
  assert.throws(() => referenceTree(shell), /Containerfile:5:1: only exec-form RUN is modelled/);
  const env = withEdit(t, 'catm', 'Containerfile', (s) => s.replace('FROM scratch AS build\n', 'FROM scratch AS build\nENV A=1\n'));
  assert.throws(() => referenceTree(env), /Containerfile:3:1: the reference build does not model ENV/);
});

test('a missing input is refused, not treated as empty', (t) => {
  const tree = withEdit(t, 'catm', 'Containerfile', (s) => s.replace('RUN ["/bin/hex2", "/src/catm.hex2", "/bin/catm"]', 'RUN ["/bin/hex2", "/src/nope.hex2", "/bin/catm"]'));
  assert.throws(() => referenceTree(tree), /hex2 reads \/src\/nope\.hex2, which does not exist/);
});
