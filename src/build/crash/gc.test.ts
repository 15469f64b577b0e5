/**
 * `strata gc` and the builder state (ADR 0138): scratch of killed builds, interrupted
 * extractions and record writes go; extracted layers whose blob is gone go; a running
 * build keeps the layer cache; a build starting during gc waits for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bufferIO } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { StrataError } from '../../errors.js';
import { fsckStore } from '../../store/fsck.js';
import { gcStore, recordTempOwnerPid, scratchOwnerPid } from '../../store/gc.js';
import { OciStore } from '../../store/store.js';
import { digestsTempOwner } from '../digests-file.js';
import { claimWorkDir, gcLockPath, statePaths } from '../state.js';
import { addPackage, makeBusyboxTree, tempDir } from '../testsupport/busybox-tree.js';

async function strata(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({});
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** A pid that was just used and has exited. */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

test('pure: owner pids in scratch, record-temp and digests-temp names', () => {
  assert.equal(scratchOwnerPid('1234-aB9xYz'), 1234);
  assert.equal(scratchOwnerPid('step-aB9xYz'), undefined);
  assert.equal(scratchOwnerPid('1234-'), undefined);
  assert.equal(recordTempOwnerPid('abc.json.77.tmp'), 77);
  assert.equal(recordTempOwnerPid('abc.json'), undefined);
  assert.equal(digestsTempOwner('core.txt', 'core.txt.42-0a1b.tmp'), 42);
  assert.equal(digestsTempOwner('core.txt', 'user.txt.42-0a1b.tmp'), undefined);
  assert.equal(digestsTempOwner('core.txt', 'core.txt'), undefined);
  assert.equal(digestsTempOwner('core.txt', '.core.txt.lock.9-ff.tmp'), 9);
  assert.equal(digestsTempOwner('core.txt', '.core.txt.lock.9-ff.stale'), 9);
  assert.equal(digestsTempOwner('core.txt', '.core.txt.lock'), undefined);
});

test('gc prunes unused extracted layers and leftovers of killed builds; keeps what a running build may use', async () => {
  const tree = makeBusyboxTree('strata-gc-tree-');
  addPackage(tree, 'core', 'app', 'FROM stagex/core-busybox\nRUN echo app > /app\n');
  const store = path.join(tempDir('strata-gc-store-'), 'store');
  const built = await strata('build', '--tree', tree, '--store', store, 'core-app');
  assert.equal(built.code, 0, built.err);
  const digestsBefore = readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8');
  const st = statePaths(store);
  const s = await OciStore.open(store);
  const app = (await s.readManifest((await s.resolveRef('core-app'))!.digest)).layers;
  const base = (await s.readManifest((await s.resolveRef('core-busybox'))!.digest)).layers;
  const own = app.slice(base.length);
  assert.equal(own.length, 1);
  const layerDir = (d: string): string => path.join(st.layers, 'sha256', d.slice('sha256:'.length));
  for (const l of app) assert.ok(existsSync(layerDir(l.digest)), `extracted ${l.digest}`);
  assert.deepEqual(readdirSync(st.work), [], 'a finished build leaves no scratch');

  // debris of a killed build
  const dead = deadPid();
  const killedScratch = path.join(st.work, `${dead}-Abc123`);
  mkdirSync(path.join(killedScratch, 'step-x', 'upper', 'usr'), { recursive: true });
  writeFileSync(path.join(killedScratch, 'step-x', 'upper', 'usr', 'f'), 'partial');
  const legacy = path.join(st.work, 'step-old');
  mkdirSync(legacy);
  const old = new Date(Date.now() - 7200_000);
  utimesSync(legacy, old, old);
  const extracting = path.join(st.layers, 'tmp', `${'e'.repeat(64)}-0a0b0c`);
  mkdirSync(extracting, { recursive: true });
  writeFileSync(path.join(extracting, 'half'), 'x');
  const record = path.join(st.cache, `${'f'.repeat(64)}.json.${dead}.tmp`);
  writeFileSync(record, '{"ima');
  const liveRecord = path.join(st.cache, `${'f'.repeat(64)}.json.${process.pid}.tmp`);
  writeFileSync(liveRecord, '{"ima');

  assert.ok(await s.removeRef('core-app'));

  // a running build (this process) protects the layer cache and young extractions
  const running = path.join(st.work, `${process.pid}-Live01`);
  mkdirSync(running);
  const busy = await gcStore(store, { graceSeconds: 0, state: st });
  assert.deepEqual(busy.activeBuilds, [process.pid]);
  assert.deepEqual(busy.removedLayers, []);
  assert.ok(existsSync(layerDir(own[0]!.digest)));
  assert.ok(busy.removedBlobs.includes(own[0]!.digest), 'the unreferenced blob itself still goes');
  assert.deepEqual([...busy.removedScratch].sort(), [
    path.join('strata', 'cache', path.basename(record)),
    path.join('strata', 'layers', 'tmp', path.basename(extracting)),
    path.join('strata', 'work', path.basename(killedScratch)),
    path.join('strata', 'work', 'step-old'),
  ].sort());
  assert.ok(existsSync(running) && existsSync(liveRecord));
  assert.ok(!existsSync(killedScratch) && !existsSync(legacy) && !existsSync(extracting) && !existsSync(record));
  rmSync(running, { recursive: true });
  rmSync(liveRecord);

  // idle: dry run reports, then the CLI removes the unused extracted layer only
  const dry = await gcStore(store, { graceSeconds: 0, dryRun: true, state: st });
  assert.deepEqual(dry.removedLayers, [own[0]!.digest]);
  assert.ok(existsSync(layerDir(own[0]!.digest)));
  const r = await strata('gc', '--store', store, '--grace', '0');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /removed 1 unused extracted layers and 0 leftovers of interrupted builds\n/);
  assert.ok(!existsSync(layerDir(own[0]!.digest)));
  for (const l of base) assert.ok(existsSync(layerDir(l.digest)), 'layers of referenced images stay');
  assert.deepEqual((await fsckStore(store)).problems, []);

  // the next build rebuilds core-app with the same digest
  const again = await strata('build', '--tree', tree, '--store', store, 'core-app');
  assert.equal(again.code, 0, again.err);
  assert.equal(readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8'), digestsBefore);
  assert.deepEqual((await fsckStore(store)).problems, []);
});

test('a build claiming its scratch waits while gc holds gc.lock, and goes on once it is released', async () => {
  const st = statePaths(path.join(tempDir('strata-gc-lock-'), 'store'));
  mkdirSync(st.root, { recursive: true });
  writeFileSync(gcLockPath(st), JSON.stringify({ pid: process.pid, host: os.hostname(), token: 't' }));
  await assert.rejects(claimWorkDir(st, 300), (e: unknown) => e instanceof StrataError && e.code === 'build/gc-running' && e.exitCode === 1);
  assert.deepEqual(readdirSync(st.work), [], 'a build that gave up waiting leaves no scratch');
  setTimeout(() => rmSync(gcLockPath(st)), 200);
  const claimed = await claimWorkDir(st, 30_000);
  assert.equal(scratchOwnerPid(path.basename(claimed.work)), process.pid);
  // a lock left by a dead gc is ignored
  writeFileSync(gcLockPath(st), JSON.stringify({ pid: deadPid(), host: os.hostname(), token: 't' }));
  await claimWorkDir(st, 300);
});
