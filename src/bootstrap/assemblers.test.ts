/** The TypeScript reference assemblers on hand-computed examples and on bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError } from '../errors.js';
import { decodeHex0 } from './hex0.js';
import { assembleHex1 } from './hex1.js';
import { assembleHex2 } from './hex2.js';
import { assembleM0 } from './m0.js';
import { codeSize } from './listing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function fails(f: () => unknown, code: string, where: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StrataError, String(e));
    assert.equal(e.code, code);
    assert.ok(e.format().startsWith(`${where}: `), e.format());
    assert.ok(e.hint, 'every error has a hint');
    assert.equal(e.exitCode, 2);
    return true;
  });
}

test('hex0: pairs, both cases, comments to the end of the line, everything else ignored', () => {
  assert.equal(hex(decodeHex0('0aBc # ff\n;ee\r\nZ1 2z\n')), '0abc12');
  assert.equal(hex(decodeHex0(new Uint8Array([0x31, 0xff, 0x32]))), '12');
  assert.equal(decodeHex0('').length, 0);
});

test('hex1: labels are one character, %x is relative to the end of its 4 bytes', () => {
  // a = 0; 90 at 0; %b at 1..4; E8 at 5; b = 6 → %b = 6 - 5 = 1; %a at 6..9 → 0 - 10 = -10
  assert.equal(hex(assembleHex1(':a 90 %b E8 :b %a')), '9001000000e8f6ffffff');
  // a hex digit can be a label: ":a" defines a, then "bc" is a byte
  assert.equal(hex(assembleHex1(':abc %a')), 'bcfbffffff');
  fails(() => assembleHex1('90 %q', 'x.hex1'), 'bootstrap/hex1-undefined-label', 'x.hex1:1:4');
  fails(() => assembleHex1(':a\n:a', 'x.hex1'), 'bootstrap/hex1-duplicate-label', 'x.hex1:2:1');
  fails(() => assembleHex1('9 :a', 'x.hex1'), 'bootstrap/hex1-odd-digit', 'x.hex1:1:1');
  fails(() => assembleHex1('90 :', 'x.hex1'), 'bootstrap/hex1-bad-label', 'x.hex1:1:4');
  fails(() => assembleHex1('90 % ', 'x.hex1'), 'bootstrap/hex1-bad-label', 'x.hex1:1:4');
});

test('hex2: every reference kind, relative to the end of its field, absolute from the base', () => {
  const src = ':top 90 !top @top %top $end &end :end';
  // top=0; 90; !top at 1 → 0-2 = -2 (fe); @top at 2 → 0-4 (fcff); %top at 4 → 0-8;
  // $end at 8, &end at 10, end = 14 → base + 14
  assert.equal(hex(assembleHex2(src, { base: 0x100 })), '90fefcfff8ffffff0e010e010000');
  assert.equal(hex(assembleHex2(':a &a', {})), '00006000');
  assert.equal(hex(assembleHex2(':x#c\n!x;c\n')), 'ff');
  fails(() => assembleHex2('%nowhere', { file: 'x.hex2' }), 'bootstrap/hex2-undefined-label', 'x.hex2:1:1');
  fails(() => assembleHex2(':a\n :a', { file: 'x.hex2' }), 'bootstrap/hex2-duplicate-label', 'x.hex2:2:2');
  fails(() => assembleHex2(':a ' + '00 '.repeat(200) + '!a', { file: 'x.hex2' }), 'bootstrap/hex2-out-of-range', 'x.hex2:1:604');
  fails(() => assembleHex2(':a $a', { file: 'x.hex2' }), 'bootstrap/hex2-out-of-range', 'x.hex2:1:4');
  fails(() => assembleHex2('00 : 11', { file: 'x.hex2' }), 'bootstrap/hex2-bad-label', 'x.hex2:1:4');
  fails(() => assembleHex2('00 1', { file: 'x.hex2' }), 'bootstrap/hex2-odd-digit', 'x.hex2:1:4');
});

test('M0: DEFINE, strings, raw text, immediates and labels become hex2, one token per line', () => {
  const src = [
    'DEFINE syscall 0F05',
    'DEFINE mov_eax, B8   # a name may contain a comma',
    ':main mov_eax, %60 syscall',
    '"hi" \'90 90\' !-1 @0x1234 $65535 ~-2 %label &label',
  ].join('\n');
  assert.equal(assembleM0(src), [':main', 'B8', '3C000000', '0F05', '686900', '90 90', 'FF', '3412', 'FFFF', 'FEFFFF', '%label', '&label', ''].join('\n'));
  // the output is hex2 that links
  assert.equal(hex(assembleHex2(assembleM0('DEFINE nop 90\n:l nop !l'))), '90fe');
});

test('M0: bad input fails with a location and a hint', () => {
  fails(() => assembleM0('"abc', 'x.M0'), 'bootstrap/m0-unterminated', 'x.M0:1:1');
  fails(() => assembleM0("  'abc", 'x.M0'), 'bootstrap/m0-unterminated', 'x.M0:1:3');
  fails(() => assembleM0('DEFINE x', 'x.M0'), 'bootstrap/m0-bad-define', 'x.M0:1:1');
  fails(() => assembleM0('DEFINE x 1\nDEFINE x 2', 'x.M0'), 'bootstrap/m0-duplicate-define', 'x.M0:2:8');
  fails(() => assembleM0('x\nDEFINE x 90', 'x.M0'), 'bootstrap/m0-used-before-define', 'x.M0:1:1');
  fails(() => assembleM0('\n !256', 'x.M0'), 'bootstrap/m0-out-of-range', 'x.M0:2:2');
  fails(() => assembleM0('$-1', 'x.M0'), 'bootstrap/m0-out-of-range', 'x.M0:1:1');
  fails(() => assembleM0('%4294967296', 'x.M0'), 'bootstrap/m0-out-of-range', 'x.M0:1:1');
});

test('listing byte counts follow each language', () => {
  assert.equal(codeSize('E8 %a', 'hex1'), 5);
  assert.equal(codeSize(':a', 'hex1'), 0);
  assert.equal(codeSize('0F 84 %read_byte', 'hex2'), 6);
  assert.equal(codeSize('!x @y $z &w :q AB', 'hex2'), 10);
  assert.equal(codeSize('7F 45 4C 46', 'hex0'), 4);
});
