/**
 * The README's first command, scripts/main-job.sh, run for real (without its apt/npm
 * setup, which .ci/run has just done): plan, fetch, build, digests equal the committed
 * ones, verify --vary, two maintainers sign (gpg and key file), 2-of-2 check, audit,
 * status. A failure here is a failure of what a new user runs first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../testutil/paths.js';

test('scripts/main-job.sh builds, verifies, signs and checks the reference distribution', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'strata-main-job-'));
  try {
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('bash', [path.join(repoRoot, 'scripts', 'main-job.sh')], {
        env: { ...process.env, STRATA_MAIN_JOB_SETUP: '0', STRATA_MAIN_JOB_DIR: path.join(work, 'job') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, out }));
    });
    assert.equal(code, 0, `main-job.sh exited ${code}:\n${out.slice(-4000)}`);
    assert.match(out, /== the rebuilt digests equal the committed ones[^\n]*\nidentical\n/);
    assert.match(out, /all 10 images reproduce/);
    assert.match(out, /10 images checked: all reach 2 distinct maintainer signatures/);
    assert.match(out, /10 images: 10 bootstrapped, 0 not/);
    assert.match(out, /bootstrap-hex0\s+[0-9a-f]{12}\s+\S+ \S+\s+yes\s+2\/2 ok: Alice Demo, Bob Demo/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
