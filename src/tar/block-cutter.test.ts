import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes } from '../bytes.js';
import { BlockCutter, type CutBlocks } from './block-cutter.js';
import { ParallelBlockStream, SyncBlockStream } from './block-stream.js';

function cutAll(data: Uint8Array, step: number, opts: { blockSize: number; historySize: number; group?: number }): CutBlocks[] {
  const c = new BlockCutter(opts);
  const out: CutBlocks[] = [];
  for (let i = 0; i < data.length; i += step) out.push(...c.push(data.subarray(i, i + step)));
  out.push(c.finish());
  assert.equal(c.length, data.length);
  return out;
}

/** What the format says each piece is: checked piece by piece against the input itself. */
function checkPieces(data: Uint8Array, pieces: readonly CutBlocks[], blockSize: number, historySize: number, group: number): void {
  let off = 0;
  pieces.forEach((p, i) => {
    const isLast = i === pieces.length - 1;
    assert.equal(p.last, isLast, `piece ${i}: last`);
    if (!isLast) assert.equal(p.data.length, blockSize * group, `piece ${i}: full group`);
    else assert.ok(p.data.length <= blockSize * group, `piece ${i}: at most one group`);
    assert.deepEqual(p.data, data.subarray(off, off + p.data.length), `piece ${i}: data`);
    const want = off === 0 || historySize === 0 ? null : data.slice(Math.max(0, off - historySize), off);
    assert.deepEqual(p.history, want, `piece ${i}: history`);
    off += p.data.length;
  });
  assert.equal(off, data.length);
}

test('block cutter: pieces are the stream in order, each with the history right before it, for any chunking', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 1, max: 5 }),
      (n, step, blockSize, historySize, group) => {
        const data = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
        checkPieces(data, cutAll(data, step, { blockSize, historySize, group }), blockSize, historySize, group);
      },
    ),
    { numRuns: 300, seed: 179 },
  );
});

test('block cutter: a full last block is released only at finish; the empty stream is one empty last block', () => {
  const c = new BlockCutter({ blockSize: 4, historySize: 2 });
  assert.deepEqual(c.push(new Uint8Array([1, 2, 3, 4])), []);
  assert.deepEqual(c.finish(), { data: new Uint8Array([1, 2, 3, 4]), history: null, last: true });
  assert.deepEqual(new BlockCutter({ blockSize: 4, historySize: 2 }).finish(), { data: new Uint8Array(0), history: null, last: true });
  assert.throws(() => new BlockCutter({ blockSize: 4, historySize: 2, group: 65 }), RangeError);
  assert.throws(() => new BlockCutter({ blockSize: 0, historySize: 2 }), RangeError);
});

test('block cutter: with history within one group, released buffers may be detached (transferred) at once', () => {
  const data = new Uint8Array(10 * 8 + 3).map((_, i) => (i * 13) & 0xff);
  for (const [blockSize, historySize, group] of [[8, 3, 1], [8, 8, 1], [8, 12, 2]] as const) {
    const c = new BlockCutter({ blockSize, historySize, group });
    const seen: CutBlocks[] = [];
    const take = (pieces: CutBlocks[]): void => {
      for (const p of pieces) {
        seen.push({ data: p.data.slice(), history: p.history && p.history.slice(), last: p.last });
        structuredClone(p.data, { transfer: [p.data.buffer as ArrayBuffer] }); // as deflate-pool does
      }
    };
    for (let i = 0; i < data.length; i += 5) take(c.push(data.subarray(i, i + 5)));
    take([c.finish()]);
    checkPieces(data, seen, blockSize, historySize, group);
  }
});

test('block cutter: a checksum sees every input byte once, in order', () => {
  const got: number[] = [];
  const c = new BlockCutter({ blockSize: 3, historySize: 1, check: { update: (d) => void got.push(...d) } });
  c.push(new Uint8Array([1, 2]));
  c.push(new Uint8Array(0));
  c.push(new Uint8Array([3, 4, 5, 6, 7]));
  c.finish();
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
});

/** A format for the shells: pieces encoded as their own bytes, header [0xAA], trailer [length]. */
function echoFormat(): { cutter: BlockCutter; header: () => Uint8Array; trailer: () => Uint8Array } {
  const cutter = new BlockCutter({ blockSize: 4, historySize: 0 });
  return { cutter, header: () => new Uint8Array([0xaa]), trailer: () => new Uint8Array([cutter.length]) };
}

test('block streams: header once before the first output, pieces in stream order, trailer last; async pieces finishing out of order and a bounded window', async () => {
  const data = new Uint8Array(37).map((_, i) => i + 1);
  const want = [0xaa, ...data, 37];
  const sync = new SyncBlockStream(echoFormat(), (c) => c.data);
  const syncOut = [...sync.push(data.subarray(0, 3)), ...sync.push(data.subarray(3)), ...sync.finish()];
  assert.deepEqual([...concatBytes(syncOut)], want);

  let inFlight = 0;
  let peak = 0;
  let k = 0;
  const encode = async (c: CutBlocks): Promise<Uint8Array> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    // later pieces often finish first
    for (let i = (k++ * 7) % 5; i > 0; i--) await Promise.resolve();
    inFlight--;
    return c.data;
  };
  const par = new ParallelBlockStream(echoFormat(), encode, () => 3);
  const parOut: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += 6) parOut.push(...(await par.push(data.subarray(i, i + 6))));
  parOut.push(...(await par.finish()));
  assert.deepEqual([...concatBytes(parOut)], want);
  assert.ok(peak <= 3, `peak ${peak}`);
});

test('parallel block stream: the first failure is thrown once the rest in flight has settled', async () => {
  let settled = 0;
  const encode = async (c: CutBlocks): Promise<Uint8Array> => {
    await Promise.resolve();
    settled++;
    if (c.data[0] === 5) throw new Error('piece 2 failed');
    if (c.data[0] === 9) throw new Error('piece 3 failed');
    return c.data;
  };
  const par = new ParallelBlockStream(echoFormat(), encode, () => 10);
  await par.push(new Uint8Array(16).map((_, i) => i + 1));
  await assert.rejects(par.finish(), /piece 2 failed/);
  assert.equal(settled, 4);
});
