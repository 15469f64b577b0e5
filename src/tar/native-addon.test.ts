import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { deflateAddon, ENCODER_VERSION } from './block-deflate.js';
import { NATIVE_RELEASE_DIR, nativeAddonLoader } from './native-addon.js';
import { zstdAddon } from './zstd-native.js';

test('a missing addon is the caller\'s error, naming the directory looked in and the fix', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-addon-'));
  try {
    const load = nativeAddonLoader<object>({ file: 'nope.node', what: 'the native thing', missingCode: 'tar/thing-missing', missingHint: 'build it', missingKind: 'io', dir });
    assert.throws(load, (e: unknown) => {
      assert.ok(e instanceof StrataError);
      assert.equal(e.code, 'tar/thing-missing');
      assert.equal(e.message, `the native thing is not built (looked in ${dir})`);
      assert.equal(e.hint, 'build it');
      assert.equal(e.kind, 'io');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an addon is loaded and checked once; a failed check leaves it unloaded', () => {
  let checks = 0;
  const load = nativeAddonLoader<{ encoderVersion: number }>({
    file: 'strata_deflate.node', what: 'x', missingCode: 'tar/x', missingHint: 'h', missingKind: 'build',
    check: (a) => {
      checks++;
      assert.equal(a.encoderVersion, ENCODER_VERSION);
    },
  });
  assert.equal(load(), load());
  assert.equal(checks, 1);
  let refusals = 0;
  const refuse = nativeAddonLoader<object>({
    file: 'strata_deflate.node', what: 'x', missingCode: 'tar/x', missingHint: 'h', missingKind: 'build',
    check: () => {
      refusals++;
      throw new StrataError('tar/x-version', 'wrong version');
    },
  });
  assert.throws(refuse, /wrong version/);
  assert.throws(refuse, /wrong version/);
  assert.equal(refusals, 2);
});

test('the layer compressors load from the release directory', () => {
  assert.equal(path.basename(NATIVE_RELEASE_DIR), 'Release');
  assert.equal(deflateAddon().encoderVersion, ENCODER_VERSION);
  assert.equal(typeof zstdAddon().encodeBlocks, 'function');
});
