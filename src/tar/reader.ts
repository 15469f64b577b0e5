/**
 * Streaming tar reader for archives strata did not write (ADD of upstream tarballs,
 * layers pulled from registries): ustar, PAX (x/g), GNU long names (L/K), GNU base-256
 * numbers, old GNU magic. Sparse and multi-volume entries are refused. Each entry's body
 * must be consumed or is skipped when the next entry is requested. Names are returned
 * as found: path safety is the extractor's job (extract.ts).
 */
import { StrataError } from '../errors.js';
import { BLOCK, padLength } from './header.js';

export type TarEntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  readonly name: string;
  readonly kind: TarEntryKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: Readonly<Record<string, Uint8Array>>;
  /** The PAX records that applied (global then per-file), values decoded as UTF-8. */
  readonly pax: Readonly<Record<string, string>>;
}

export interface TarReadEntry {
  readonly header: TarHeader;
  /** The entry's data (size bytes). Read it before asking for the next entry, or it is skipped. */
  readonly body: AsyncIterable<Uint8Array>;
  /**
   * The whole (remaining) data at once when it is already buffered — most small files —
   * without a promise per chunk; undefined otherwise (then iterate `body`).
   */
  readonly wholeBody: () => Uint8Array | undefined;
}

const dec = new TextDecoder('utf-8');

/** Bytes, streamed or in memory. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

function corrupt(message: string, where: string): never {
  throw new StrataError('tar/corrupt', `${where}: ${message}`, { hint: 'the archive is damaged or not a tar file', kind: 'input' });
}

/** Pulls exact byte counts from an async chunk iterator. */
class ByteReader {
  private buf: Uint8Array = new Uint8Array(0);
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private done = false;
  offset = 0;
  constructor(src: ByteSource) {
    this.it = Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();
  }
  /**
   * Exactly `n` bytes if they are already buffered, else undefined (then use exact()):
   * most headers and small bodies, without a promise each.
   */
  takeBuffered(n: number): Uint8Array | undefined {
    if (this.buf.length < n) return undefined;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }
  /** Skip `n` bytes if they are buffered; false (nothing skipped) otherwise. */
  skipBuffered(n: number): boolean {
    if (this.buf.length < n) return false;
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return true;
  }
  /** Up to `max` bytes (at least 1 unless at end). */
  async some(max: number): Promise<Uint8Array | undefined> {
    if (this.buf.length === 0) {
      if (this.done) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      this.buf = r.value;
      if (this.buf.length === 0) return this.some(max);
    }
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }
  async exact(n: number, what: string): Promise<Uint8Array | undefined> {
    const first = await this.some(n);
    if (!first) return undefined;
    if (first.length === n) return first;
    const out = new Uint8Array(n);
    out.set(first, 0);
    let got = first.length;
    while (got < n) {
      const c = await this.some(n - got);
      if (!c) corrupt(`truncated ${what}`, `offset ${this.offset}`);
      out.set(c, got);
      got += c.length;
    }
    return out;
  }
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const c = await this.some(left);
      if (!c) corrupt('truncated entry data', `offset ${this.offset}`);
      left -= c.length;
    }
  }
}

/** A NUL-terminated field as UTF-8 (pure ASCII, the usual case, without a TextDecoder call). */
function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  let ascii = true;
  const stop = off + len;
  for (; end < stop; end++) {
    const c = b[end]!;
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  if (end === off) return '';
  return ascii ? Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1', off, end) : dec.decode(b.subarray(off, end));
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function num(b: Uint8Array, off: number, len: number, field: string, where: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker.
    if (f[0] === 0xff) corrupt(`negative ${field}`, where);
    let v = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + f[i]!;
      if (v > Number.MAX_SAFE_INTEGER) corrupt(`${field} too large`, where);
    }
    return v;
  }
  // octal digits, optionally padded with spaces, ended by NUL or the field's end; any
  // other byte takes the general path below (same result, same error)
  let start = 0;
  let end = f.indexOf(0);
  if (end < 0) end = len;
  while (start < end && isSpace(f[start]!)) start++;
  while (end > start && isSpace(f[end - 1]!)) end--;
  let v = 0;
  let i = start;
  for (; i < end; i++) {
    const c = f[i]!;
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
  }
  if (i === end) return v;
  const s = dec.decode(f).replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) corrupt(`invalid ${field} '${s}'`, where);
  return parseInt(s, 8);
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Uint8Array, stored: number): boolean {
  let u = 0;
  let s = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    u += c;
    s += c > 127 ? c - 256 : c;
  }
  return stored === u || stored === s;
}

function parsePax(data: Uint8Array, where: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break;
    const sp = data.indexOf(0x20, off);
    if (sp < 0) corrupt('bad PAX record', where);
    const len = Number(dec.decode(data.subarray(off, sp)));
    if (!Number.isSafeInteger(len) || len <= sp - off + 1 || off + len > data.length || data[off + len - 1] !== 0x0a) corrupt('bad PAX record length', where);
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) corrupt('bad PAX record', where);
    out.set(dec.decode(rec.subarray(0, eq)), rec.subarray(eq + 1));
    off += len;
  }
  return out;
}

const KIND: Record<string, TarEntryKind> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** Iterate the entries of an uncompressed tar stream. `label` names the archive in errors. */
export async function* readTar(src: ByteSource, label = 'archive'): AsyncGenerator<TarReadEntry> {
  const r = new ByteReader(src);
  const global = new Map<string, Uint8Array>();
  let local = new Map<string, Uint8Array>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const where = `${label}: offset ${r.offset}`;
    const b = r.takeBuffered(BLOCK) ?? (await r.exact(BLOCK, 'header'));
    if (!b) return; // EOF without end marker: accepted, like GNU tar does with a warning
    if (b[0] === 0 && isZeroBlock(b)) {
      // Drain what follows the end marker (record padding) so that a decompressor's
      // failure on a damaged tail is not missed.
      while (await r.some(1 << 20)) { /* discard */ }
      return;
    }
    const stored = num(b, 148, 8, 'checksum', where);
    if (!checksumOk(b, stored)) corrupt('header checksum mismatch', where);
    const typeflag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12, 'size', where);
    const padded = size + padLength(size);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > 16 * 1024 * 1024) corrupt(`metadata entry of ${size} bytes is too large`, where);
      const data = size ? (await r.exact(padded, 'metadata'))!.subarray(0, size) : new Uint8Array(0);
      if (typeflag === 'x') local = parsePax(data, where);
      else if (typeflag === 'g') for (const [k, v] of parsePax(data, where)) global.set(k, v);
      else {
        const s = dec.decode(data).replace(/\0+$/, '');
        if (typeflag === 'L') longName = s;
        else longLink = s;
      }
      continue;
    }
    const kind = KIND[typeflag];
    if (!kind) {
      const what = typeflag === 'S' ? 'sparse entries are not supported' : typeflag === 'M' || typeflag === 'V' ? 'multi-volume archives are not supported' : `unsupported entry type '${typeflag}'`;
      throw new StrataError('tar/unsupported-entry', `${where}: ${what}`, { hint: 'repack the archive with plain files', kind: 'input' });
    }
    // 'ustar\0' (POSIX; old GNU has 'ustar ' and no prefix field)
    const isUstar = b[257] === 0x75 && b[258] === 0x73 && b[259] === 0x74 && b[260] === 0x61 && b[261] === 0x72 && b[262] === 0;
    const prefix = isUstar ? cstr(b, 345, 155) : '';
    const rawName = cstr(b, 0, 100);
    const pax = global.size === 0 ? local : local.size === 0 ? global : new Map([...global, ...local]);
    const paxStr = (k: string): string | undefined => {
      const v = pax.get(k);
      return v === undefined ? undefined : dec.decode(v);
    };
    const paxNum = (k: string, fallback: number): number => {
      const v = paxStr(k);
      if (v === undefined) return fallback;
      if (!/^-?\d+(\.\d+)?$/.test(v)) corrupt(`invalid PAX ${k} '${v}'`, where);
      return Math.floor(Number(v));
    };
    const xattrs: Record<string, Uint8Array> = {};
    if (pax.size) for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = v;
    const header: TarHeader = {
      name: paxStr('path') ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName),
      kind,
      mode: num(b, 100, 8, 'mode', where) & 0o7777,
      uid: paxNum('uid', num(b, 108, 8, 'uid', where)),
      gid: paxNum('gid', num(b, 116, 8, 'gid', where)),
      size: kind === 'file' ? paxNum('size', size) : 0,
      mtime: paxNum('mtime', num(b, 136, 12, 'mtime', where)),
      linkname: paxStr('linkpath') ?? longLink ?? cstr(b, 157, 100),
      uname: paxStr('uname') ?? cstr(b, 265, 32),
      gname: paxStr('gname') ?? cstr(b, 297, 32),
      devmajor: kind === 'char' || kind === 'block' ? num(b, 329, 8, 'devmajor', where) : 0,
      devminor: kind === 'char' || kind === 'block' ? num(b, 337, 8, 'devminor', where) : 0,
      xattrs,
      pax: pax.size ? Object.fromEntries([...pax].map(([k, v]) => [k, dec.decode(v)])) : {},
    };
    local = new Map();
    longName = undefined;
    longLink = undefined;
    // Hardlinks and others may declare a size in the raw header; data follows only for files.
    const dataSize = kind === 'file' ? header.size : 0;
    const skipAfter = kind === 'file' ? padLength(dataSize) : size + padLength(size);
    let left = dataSize;
    const body: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        while (left > 0) {
          const c = await r.some(Math.min(left, 1024 * 1024));
          if (!c) corrupt('truncated entry data', `${label}: '${header.name}'`);
          left -= c.length;
          yield c;
        }
      },
    };
    const wholeBody = (): Uint8Array | undefined => {
      const c = r.takeBuffered(left);
      if (c) left = 0;
      return c;
    };
    yield { header, body, wholeBody };
    if (left > 0 && !r.skipBuffered(left)) await r.skip(left);
    left = 0;
    if (!r.skipBuffered(skipAfter)) await r.skip(skipAfter);
  }
}
