/**
 * Corpus tests: every testdata/containerfiles/<case>/Containerfile parses to the dump in
 * expected.json (written and checked by hand); every
 * testdata/containerfiles-negative/<case>/Containerfile fails with the expected error code
 * at the expected line:col.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testdata } from '../testutil/paths.js';
import { StrataError } from '../errors.js';
import { dumpContainerfile, parseContainerfile } from './index.js';

function cases(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

const positive = testdata('containerfiles');
const negative = testdata('containerfiles-negative');

test('the positive corpus has at least 30 cases', () => {
  assert.ok(cases(positive).length >= 30, `only ${cases(positive).length} cases`);
});

test('the negative corpus has at least 20 cases', () => {
  assert.ok(cases(negative).length >= 20, `only ${cases(negative).length} cases`);
});

for (const name of cases(positive)) {
  test(`corpus: ${name}`, () => {
    const dir = path.join(positive, name);
    const text = readFileSync(path.join(dir, 'Containerfile'), 'utf8');
    const expected: unknown = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    const cf = parseContainerfile(text, 'Containerfile');
    assert.equal(cf.file, 'Containerfile');
    assert.deepEqual(dumpContainerfile(cf), expected);
  });
}

for (const name of cases(negative)) {
  test(`negative corpus: ${name}`, () => {
    const dir = path.join(negative, name);
    const text = readFileSync(path.join(dir, 'Containerfile'), 'utf8');
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { code: string; line: number; col: number };
    assert.throws(
      () => parseContainerfile(text, `${name}/Containerfile`),
      (e: unknown) => {
        assert.ok(e instanceof StrataError, `not a StrataError: ${String(e)}`);
        assert.equal(e.code, expected.code);
        assert.deepEqual(e.location, { file: `${name}/Containerfile`, line: expected.line, col: expected.col });
        assert.equal(e.kind, 'input');
        assert.equal(e.exitCode, 2);
        assert.ok(e.hint && e.hint.length > 0, 'every error carries a hint');
        const line = e.format();
        assert.ok(line.startsWith(`${name}/Containerfile:${expected.line}:${expected.col}: `), line);
        assert.ok(!line.includes('\n'), 'one line');
        return true;
      },
    );
  });
}
