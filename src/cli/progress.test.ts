import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, Progress } from './progress.js';

test('non-interactive: one plain line per finished item that has something to say, never a redraw', () => {
  let out = '';
  const p = new Progress({ write: (t) => void (out += t), interactive: false, total: 3 });
  p.start('a', 'a.tar.gz');
  p.addBytes(5000);
  p.finish('a', 'fetched a.tar.gz');
  p.start('b', 'b.tar.gz');
  p.finish('b');
  p.print('warning: x');
  p.close();
  assert.equal(out, 'fetched a.tar.gz\nwarning: x\n');
  assert.ok(!out.includes('\r'));
});

test('interactive: redraws one status line, prints finished lines above it, clears it at the end', () => {
  let out = '';
  let clock = 0;
  const p = new Progress({ write: (t) => void (out += t), interactive: true, total: 2, now: () => clock, redrawIntervalMs: 100 });
  p.start('a', 'a.tar.gz');
  assert.equal(out, '\r\x1b[K[0/2] 0 B · a.tar.gz');
  out = '';
  p.addBytes(10);
  assert.equal(out, '', 'throttled: no redraw within the interval');
  clock = 150;
  p.addBytes(2048);
  assert.equal(out, '\r\x1b[K[0/2] 2.0 KiB · a.tar.gz');
  out = '';
  p.finish('a', 'fetched a.tar.gz');
  assert.equal(out, '\r\x1b[Kfetched a.tar.gz\n\r\x1b[K[1/2] 2.0 KiB');
  out = '';
  p.close();
  assert.equal(out, '\r\x1b[K');
  out = '';
  p.addBytes(1);
  assert.equal(out, '', 'nothing after close');
});

test('the status line names at most three current items and fits the terminal', () => {
  const p = new Progress({ write: () => {}, interactive: true, columns: 40 });
  for (const k of ['one', 'two', 'three', 'four', 'five']) p.start(k, `${k}.tar.gz`);
  const line = p.statusLine();
  assert.ok(line.length <= 39, line);
  assert.ok(line.endsWith('…'), line);
  const wide = new Progress({ write: () => {}, interactive: true, columns: 200 });
  for (const k of ['one', 'two', 'three', 'four', 'five']) wide.start(k, k);
  assert.equal(wide.statusLine(), '[0] 0 B · one, two, three +2');
});

test('formatBytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});
