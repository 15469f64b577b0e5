import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { testdata } from '../testutil/paths.js';
import { parsePayload } from './payload.js';

test('payload corpus: every file gives its expected result', async () => {
  const dir = testdata('trust', 'payloads');
  const expected = JSON.parse(await fs.readFile(path.join(dir, 'expected.json'), 'utf8')) as Record<string, string>;
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'expected.json').sort();
  assert.deepEqual(files.map((f) => f.slice(0, -5)).sort(), Object.keys(expected).sort(), 'every case has an expectation');
  for (const f of files) {
    const name = f.slice(0, -5);
    const r = parsePayload(new Uint8Array(await fs.readFile(path.join(dir, f))));
    assert.equal(r.ok ? 'ok' : r.rejection.code, expected[name], name);
    if (r.ok) {
      assert.equal(r.payload.untrustedReference.path, 'stagex/core-zlib', name);
      assert.equal(r.payload.untrustedDigest, `sha256:${'ab'.repeat(32)}`, name);
    }
  }
  const legacy = parsePayload(new Uint8Array(await fs.readFile(path.join(dir, 'legacy-stagex.json'))), { legacy: true });
  assert.ok(legacy.ok && legacy.payload.legacy);
});
