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

test('the addons check their arguments: a missing or wrong one is a TypeError with code EINVAL naming it', () => {
  const z = zstdAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const d = deflateAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const state = new Uint8Array(zstdAddon().xxh64StateSize);
  const bad: [() => unknown, RegExp][] = [
    [() => z.encodeBlocks!(null, new Uint8Array(1), 10, 5), /^encodeBlocks\(history, data/],
    [() => z.encodeBlocks!('x', new Uint8Array(1), 10, 5, true), /^history must be a Uint8Array or null$/],
    [() => z.encodeBlocks!(null, [1], 10, 5, true), /^data must be a Uint8Array$/],
    [() => z.encodeBlocks!(null, new Uint8Array(1), 0, 5, true), /^maxOffset must be a positive number$/],
    [() => z.encodeBlocks!(null, new Uint8Array(1), 10, 11, true), /^historySize must be a positive number <= maxOffset$/],
    [() => z.encodeBlocks!(null, new Uint8Array(1), 10, 5, 'yes'), /^last must be a boolean$/],
    [() => z.encodeBlocksAsync!(null, new Uint8Array(1), 10, 5, true, 'not a function'), /^encodeBlocksAsync\(/],
    [() => z.xxh64Init!(), /^xxh64Init\(state\)$/],
    [() => z.xxh64Update!(state), /^xxh64Update\(state, data\)$/],
    [() => z.xxh64Update!(state, 'abc'), /^data must be a Uint8Array$/],
    [() => z.xxh64Low32!(new Uint8Array(4)), /^state must be a Uint8Array of xxh64StateSize bytes$/],
    [() => d.compress!(new Uint8Array(1), null), /^compress\(block, dictionary, last\) takes three arguments$/],
    [() => d.compress!(new Uint8Array(1), 'dict', true), /^dictionary must be a Uint8Array, null or undefined$/],
    [() => d.compress!(new Uint16Array(1), null, true), /^block must be a Uint8Array$/],
    [() => d.crc32!('x', new Uint8Array(1)), /^crc must be a number$/],
  ];
  for (const [call, message] of bad) {
    assert.throws(call, (e: unknown) => e instanceof TypeError && (e as NodeJS.ErrnoException).code === 'EINVAL' && message.test(e.message), String(message));
  }
  // and right arguments still work, null and undefined alike for "no history"
  assert.deepEqual(d.compress!(new TextEncoder().encode('a'), undefined, true), d.compress!(new TextEncoder().encode('a'), null, true));
  assert.equal(z.xxh64Init!(state), undefined);
  z.xxh64Update!(state, new Uint8Array(0));
  assert.equal(z.xxh64Low32!(state), 0x51d8e999); // XXH64('') = ef46db3751d8e999
});
