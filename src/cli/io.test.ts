import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from './main.js';
import { bufferIO, jsonText } from './io.js';
import { repoRoot, testdata } from '../testutil/paths.js';

test('jsonText: one document, two-space indent, one trailing newline (docs/adr/0175)', () => {
  assert.equal(jsonText({ a: [1, { b: 'x' }], c: null }), '{\n  "a": [\n    1,\n    {\n      "b": "x"\n    }\n  ],\n  "c": null\n}\n');
  assert.equal(jsonText([]), '[]\n');
  const io = bufferIO();
  io.json({ ok: true });
  assert.equal(io.stdout(), '{\n  "ok": true\n}\n');
});

test('no command writes JSON to stdout except through io.json', () => {
  const dir = path.join(repoRoot, 'src', 'cli', 'commands');
  const offenders = readdirSync(dir)
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
    .filter((n) => /JSON\.stringify\(/.test(readFileSync(path.join(dir, n), 'utf8')));
  assert.deepEqual(offenders, []);
});

/** Answers of real commands, success and failure: each is exactly jsonText of what it parses to. */
test('every --json answer has the one layout, failures included', async () => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'strata-iojson-'));
  try {
    const cases: string[][] = [
      ['plan', '--tree', testdata('trees', 'small'), '--json'],
      ['plan', '--tree', testdata('trees', 'keep-going'), '--keep-going', '--json'],
      ['plan', '--tree', testdata('trees', 'malformed-toml'), '--json'],
      ['gc', '--store', store, '--dry-run', '--json'],
      ['status', '--tree', testdata('trees', 'small'), '--store', path.join(store, 'none'), '--json'],
      ['check', '--tree', testdata('trees', 'small'), '--json'],
    ];
    for (const argv of cases) {
      const io = bufferIO({}, os.tmpdir());
      await main(argv, io);
      const out = io.stdout();
      assert.ok(out.length > 0, `${argv.join(' ')}: no output; stderr: ${io.stderr()}`);
      assert.equal(out, jsonText(JSON.parse(out)), argv.join(' '));
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});
