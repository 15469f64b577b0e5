import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes } from '../bytes.js';
import { StrataError } from '../errors.js';
import { BLOCK } from './header.js';
import { readTar, type TarHeader } from './reader.js';

/** A v7/ustar header block written field by field (raw bytes, so odd spellings can be tested). */
function header(fields: { name?: Uint8Array | string; mode?: string; uid?: string; size?: string; mtime?: string; type?: string; linkname?: string; ustar?: boolean; prefix?: string; uname?: string }): Uint8Array {
  const b = new Uint8Array(BLOCK);
  const put = (off: number, v: Uint8Array | string): void => void b.set(typeof v === 'string' ? new TextEncoder().encode(v) : v, off);
  put(0, fields.name ?? 'f');
  put(100, fields.mode ?? '0000644\0');
  put(108, fields.uid ?? '0000000\0');
  put(116, '0000000\0');
  put(124, fields.size ?? '00000000000\0');
  put(136, fields.mtime ?? '00000000001\0');
  put(156, fields.type ?? '0');
  put(157, fields.linkname ?? '');
  if (fields.ustar !== false) {
    put(257, 'ustar\x0000');
    put(265, fields.uname ?? 'root');
    put(345, fields.prefix ?? '');
  }
  put(148, '        ');
  let sum = 0;
  for (const x of b) sum += x;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** The parts followed by the two zero blocks that end a tar archive. */
function archive(...parts: Uint8Array[]): Uint8Array {
  return concatBytes([...parts, new Uint8Array(2 * BLOCK)]);
}

function data(text: string): Uint8Array {
  const b = new Uint8Array(Math.ceil(text.length / BLOCK) * BLOCK);
  b.set(new TextEncoder().encode(text));
  return b;
}

/** Every entry's header and body text, reading bodies with `wholeBody` or by iterating. */
async function readAll(chunks: Iterable<Uint8Array>, whole: boolean): Promise<[TarHeader, string][]> {
  const out: [TarHeader, string][] = [];
  for await (const { header: h, body, wholeBody } of readTar(chunks)) {
    let text = '';
    const w = whole ? wholeBody() : undefined;
    if (w) text = new TextDecoder().decode(w);
    else for await (const c of body) text += new TextDecoder().decode(c);
    out.push([h, text]);
  }
  return out;
}

/** The same bytes split into chunks of `n` bytes. */
function* chunked(b: Uint8Array, n: number): Generator<Uint8Array> {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

test('numeric fields: NUL or space padded, leading spaces, empty; anything else is tar/corrupt', async () => {
  const a = archive(
    header({ name: 'a', mode: '0000755 ', size: '00000000003 ', mtime: '  1234567\0\0\0\0' }), data('abc'),
    header({ name: 'b', mode: '755\0\0\0\0\0', uid: '\0\0\0\0\0\0\0\0', size: '3\0', mtime: '7' }), data('xyz'),
  );
  const got = await readAll([a], true);
  assert.deepEqual(got.map(([h, t]) => [h.name, h.mode.toString(8), h.uid, h.size, h.mtime, t]), [
    ['a', '755', 0, 3, 0o1234567, 'abc'],
    ['b', '755', 0, 3, 7, 'xyz'],
  ]);
  for (const mode of ['0000a44\0', '07 55\0\0\0', '-000644\0']) {
    await assert.rejects(readAll([archive(header({ mode }))], true), (e: unknown) => e instanceof StrataError && e.code === 'tar/corrupt' && /invalid mode/.test(e.message), mode);
  }
});

test('names: UTF-8 decoded, ustar prefix joined, old GNU magic has no prefix', async () => {
  const utf8 = new TextEncoder().encode('dir/ünïcødé-名前');
  const got = await readAll([archive(
    header({ name: utf8 }),
    header({ name: 'leaf', prefix: 'some/prefix' }),
    header({ name: 'gnu', ustar: false }),
    header({ name: 'l', type: '2', linkname: 'tärget' }),
  )], true);
  assert.deepEqual(got.map(([h]) => [h.name, h.kind, h.linkname, h.uname]), [
    ['dir/ünïcødé-名前', 'file', '', 'root'],
    ['some/prefix/leaf', 'file', '', 'root'],
    ['gnu', 'file', '', ''],
    ['l', 'symlink', 'tärget', 'root'],
  ]);
});

test('bodies read the same whole or iterated, in one chunk or split anywhere', async () => {
  const big = 'y'.repeat(3000);
  const a = archive(header({ name: 'one', size: '00000000005\0' }), data('hello'), header({ name: 'empty' }), header({ name: 'big', size: `${big.length.toString(8).padStart(11, '0')}\0` }), data(big), header({ name: 'last', size: '00000000001\0' }), data('z'));
  const expect = [['one', 'hello'], ['empty', ''], ['big', big], ['last', 'z']];
  for (const n of [a.length, 4096, 512, 500, 7, 1]) {
    for (const whole of [true, false]) {
      const got = await readAll(chunked(a, n), whole);
      assert.deepEqual(got.map(([h, t]) => [h.name, t]), expect, `chunks of ${n}, whole ${whole}`);
    }
  }
  // a body left unread is skipped
  const names: string[] = [];
  for await (const { header: h } of readTar(chunked(a, 7))) names.push(h.name);
  assert.deepEqual(names, ['one', 'empty', 'big', 'last']);
});

test('a truncated body is tar/corrupt whichever way it is read', async () => {
  const a = archive(header({ name: 'cut', size: '00000001000\0' }), data('short'));
  const cut = a.subarray(0, BLOCK + 100);
  for (const whole of [true, false]) {
    await assert.rejects(readAll([cut], whole), (e: unknown) => e instanceof StrataError && e.code === 'tar/corrupt', String(whole));
  }
});
