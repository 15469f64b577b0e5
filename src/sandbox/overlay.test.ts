import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './run.js';
import { readUpper } from './upper.js';
import { readXattrs, makeWhiteout } from './native.js';
import { makeOverlayFixture, tempDir, cleanupTempDirs } from './test-fixtures.js';
import type { FsEntry } from './types.js';

after(cleanupTempDirs);

const ENV = { PATH: '/bin' };

async function runIn(lowers: string[], upper: string, work: string, script: string, maxLowersPerMount?: number) {
  let out = '';
  const r = await run({
    root: { kind: 'overlay', lowers, upper, work },
    argv: ['/bin/sh', '-c', script],
    env: ENV,
    onOutput: (c) => (out += c.toString('utf8')),
    ...(maxLowersPerMount !== undefined ? { maxLowersPerMount } : {}),
  });
  return { ...r, out };
}

function allXattrNames(dir: string): string[] {
  const names: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, n.name);
      for (const [k] of readXattrs(p)) names.push(`${path.relative(dir, p)}:${k}`);
      if (n.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return names;
}

function summary(entries: FsEntry[]): string[] {
  return entries.map((e) => `${e.path} ${e.kind}${e.linkTarget ? ` -> ${e.linkTarget}` : ''}`);
}

test('deletions, replaced dirs, renamed dirs and chmod are captured without redirect or metacopy', async () => {
  const fx = makeOverlayFixture();
  for (const d of ['d', 'e', 'r/sub']) mkdirSync(path.join(fx.lower, d), { recursive: true });
  writeFileSync(path.join(fx.lower, 'd', 'old'), 'old');
  writeFileSync(path.join(fx.lower, 'e', 'x'), 'x');
  writeFileSync(path.join(fx.lower, 'e', 'keep'), 'keep');
  writeFileSync(path.join(fx.lower, 'r', 'sub', 'f'), 'renamed content');
  writeFileSync(path.join(fx.lower, 'big'), Buffer.alloc(100_000, 1));
  const r = await runIn(
    [fx.lower],
    fx.upper,
    fx.work,
    'rm /e/x && rm -rf /d && mkdir /d && touch /d/new && mv /r /r2 && chmod 600 /big && echo hi > /a && ln /a /b && ln -s a /c',
  );
  assert.equal(r.exitCode, 0, r.out);
  const names = allXattrNames(fx.upper);
  assert.equal(names.some((n) => /redirect|metacopy/.test(n)), false, names.join(','));
  const entries = readUpper(fx.upper);
  assert.deepEqual(summary(entries), [
    '.wh.r whiteout',
    'a file',
    'b hardlink -> a',
    'big file',
    'c symlink -> a',
    'd dir',
    'd/.wh..wh..opq opaque',
    'd/new file',
    'e dir',
    'e/.wh.x whiteout',
    'r2 dir',
    'r2/sub dir',
    'r2/sub/f file',
  ]);
  const big = entries.find((e) => e.path === 'big')!;
  assert.equal(big.size, 100_000);
  assert.equal(big.mode, 0o600);
  assert.equal(readFileSync(big.sourcePath!).length, 100_000);
  for (const e of entries) assert.equal((e.xattrs ?? []).some(([k]) => k.startsWith('trusted.overlay.')), false);
});

function makeLayers(base: string, count: number): string[] {
  const layers: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = path.join(base, `layer${i}`);
    mkdirSync(path.join(dir, 'layers'), { recursive: true });
    writeFileSync(path.join(dir, 'layers', `f${i}`), String(i));
    writeFileSync(path.join(dir, 'top'), String(i));
    layers.push(dir);
  }
  return layers;
}

test('200 tiny layers mount in one overlay and stack correctly', async () => {
  const fx = makeOverlayFixture();
  const layers = [fx.lower, ...makeLayers(path.join(fx.base, 'many'), 200)];
  // layer 150 deletes f3, which layer 3 added
  makeWhiteout(path.join(layers[151]!, 'layers', 'f3'));
  const r = await runIn(layers, fx.upper, fx.work, 'cat /top; echo; ls /layers | wc -l; test -e /layers/f3 && echo F3; exit 0');
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual(r.out.split(/\s+/).filter(Boolean), ['199', '199']);
});

test('more layers than one mount takes: the base-most group becomes a stacked overlay', async () => {
  const fx = makeOverlayFixture();
  const layers = [fx.lower, ...makeLayers(path.join(fx.base, 'many'), 100)];
  // With 64 per mount, the bottom 38 layers form the stacked group; delete from it above it.
  makeWhiteout(path.join(layers[90]!, 'layers', 'f5'));
  makeWhiteout(path.join(layers[20]!, 'layers', 'f2'));
  const r = await runIn(layers, fx.upper, fx.work, 'cat /top; echo; ls /layers | wc -l; test -e /layers/f5 && echo F5; test -e /layers/f2 && echo F2; rm /layers/f1; exit 0', 64);
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual(r.out.split(/\s+/).filter(Boolean), ['99', '98']);
  assert.deepEqual(summary(readUpper(fx.upper)), ['layers dir', 'layers/.wh.f1 whiteout']);
});

test('too many layers is a clear error', async () => {
  const fx = makeOverlayFixture();
  const base = tempDir('strata-few-');
  const layers = makeLayers(base, 8);
  await assert.rejects(runIn([fx.lower, ...layers], fx.upper, fx.work, 'true', 4), { code: 'sandbox/too-many-layers' });
});
