import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { i386ExitElf } from './i386-probe.js';
import { runDoctor } from './doctor.js';
import { run as doctorCommand } from '../cli/commands/doctor.js';
import { bufferIO } from '../cli/io.js';
import { tempDir, cleanupTempDirs } from './test-fixtures.js';

after(cleanupTempDirs);

test('the in-memory i386 ELF runs and exits with its status', () => {
  const f = path.join(tempDir('strata-elf-'), 'p');
  writeFileSync(f, i386ExitElf(42));
  chmodSync(f, 0o755);
  assert.equal(spawnSync(f).status, 42);
  assert.throws(() => i386ExitElf(256), RangeError);
});

test('every required check passes on this host', async () => {
  const checks = await runDoctor({ storeDir: path.join(tempDir('strata-doc-'), 'store'), minFreeBytes: 1 });
  const failed = checks.filter((c) => !c.ok);
  assert.deepEqual(failed, []);
  assert.deepEqual(
    checks.map((c) => c.name),
    ['root', 'bubblewrap', 'unshare', 'native helpers', 'user namespaces', 'overlayfs', 'i386 execution', 'sandbox', 'free disk', 'zstd'],
  );
});

test('strata doctor --json reports the checks; an unmet requirement exits 1 with its fix', async () => {
  const dir = tempDir('strata-doc-');
  const io = bufferIO({}, dir);
  assert.equal(await doctorCommand(['--json', '--min-free-gib', '0'], io), 0);
  const report = JSON.parse(io.stdout()) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
  assert.equal(report.ok, true);

  const io2 = bufferIO({}, dir);
  assert.equal(await doctorCommand(['--min-free-gib', '100000000'], io2), 1);
  assert.match(io2.stdout(), /^FAIL {2}free disk .* — fix: free space on the file system of /m);
  assert.match(io2.stdout(), /^ok {4}sandbox /m);
});

test('a bad option value is a usage error', async () => {
  await assert.rejects(doctorCommand(['--min-free-gib', 'lots'], bufferIO()), { code: 'cli/usage' });
});
