/**
 * Plans every fixture tree under testdata/trees/ and compares with what it expects:
 * expected.json (the `plan --json` output), expected-error.json (code, file relative to the
 * tree, line, col, message substring) or expected-keep-going.json (planned images, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { testdata } from '../testutil/paths.js';
import { loadPlan as computePlan } from '../tree/load-plan.js';
import { planJson } from './render.js';
import { StrataError, formatLocation } from '../errors.js';

interface ExpectedError {
  code: string;
  file: string;
  line?: number;
  col?: number;
  message?: string;
}

const root = testdata('trees');
const cases = readdirSync(root).filter((d) => existsSync(path.join(root, d, 'packages'))).sort();

function checkError(tree: string, e: StrataError, want: ExpectedError): void {
  const where = `${e.format()}`;
  assert.equal(e.code, want.code, where);
  assert.equal(e.location?.file, path.join(tree, want.file), where);
  assert.equal(e.location?.line, want.line, where);
  assert.equal(e.location?.col, want.col, where);
  if (want.message) assert.ok(e.message.includes(want.message), `${where} should mention ${want.message}`);
  assert.ok(e.hint && e.hint.length > 0, `${where} has a hint`);
  assert.equal(e.exitCode, 2);
  assert.ok(!e.format().includes('\n'), 'one line');
  assert.ok(e.format().startsWith(formatLocation(e.location)));
}

for (const name of cases) {
  const tree = path.join(root, name);
  const read = (f: string): unknown => JSON.parse(readFileSync(path.join(tree, f), 'utf8'));
  if (existsSync(path.join(tree, 'expected.json'))) {
    test(`fixture ${name}: plans as expected`, () => {
      const { plan, errors } = computePlan({ tree });
      assert.deepEqual(errors, []);
      assert.deepEqual(JSON.parse(JSON.stringify(planJson(plan, { rdeps: false }))), read('expected.json'));
    });
  }
  if (existsSync(path.join(tree, 'expected-error.json'))) {
    test(`fixture ${name}: fails with the expected error`, () => {
      const want = read('expected-error.json') as ExpectedError;
      assert.throws(() => computePlan({ tree }), (e: unknown) => {
        assert.ok(e instanceof StrataError, String(e));
        checkError(tree, e, want);
        return true;
      });
      if (want.file === 'strata.toml') {
        // a broken strata.toml concerns every package: fatal even with --keep-going
        assert.throws(() => computePlan({ tree, keepGoing: true }), (e: unknown) => e instanceof StrataError && e.code === want.code);
        return;
      }
      // with --keep-going the same error is reported, not thrown
      const { errors } = computePlan({ tree, keepGoing: true });
      assert.ok(errors.some((e) => e.code === want.code), errors.map((e) => e.format()).join('\n'));
    });
  }
  if (existsSync(path.join(tree, 'expected-keep-going.json'))) {
    test(`fixture ${name}: keep-going plans the rest and reports every error`, () => {
      const want = read('expected-keep-going.json') as { planned: string[]; errors: ExpectedError[] };
      const { plan, errors } = computePlan({ tree, keepGoing: true });
      assert.deepEqual(plan.order, want.planned);
      assert.equal(errors.length, want.errors.length, errors.map((e) => e.format()).join('\n'));
      errors.forEach((e, i) => checkError(tree, e, want.errors[i]!));
      assert.throws(() => computePlan({ tree }), (e: unknown) => e instanceof StrataError && e.code === want.errors[0]!.code);
    });
  }
}

test('every fixture tree has an expectation', () => {
  for (const name of cases) {
    const has = ['expected.json', 'expected-error.json', 'expected-keep-going.json'].some((f) => existsSync(path.join(root, name, f)));
    assert.ok(has || name === 'stagex-shaped', `${name} has no expected-*.json`);
  }
});
