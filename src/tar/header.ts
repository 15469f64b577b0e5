/**
 * The one tar header format strata writes (ADR 0051): POSIX ustar, encoded exactly as
 * GNU tar `--format=ustar` does for the same metadata (octal fields zero-padded and
 * NUL-terminated, checksum as six octal digits, NUL, space; magic "ustar\0" version "00";
 * empty uname/gname; device fields "0000000\0" for non-devices). A PAX extended header
 * (typeflag 'x', name `././@PaxHeader`, mode 0644, owner 0:0, mtime 0) precedes an entry
 * only when a value does not fit ustar: path, linkpath, size, uid, gid, mtime, or when
 * xattrs are kept (SCHILY.xattr.<name>). PAX records are sorted by key (UTF-8 bytes).
 */
import { StrataError } from '../errors.js';
import { compareUtf8 } from '../oci/canonical-json.js';
import type { PreparedEntry } from './entry.js';

export const BLOCK = 512;
const enc = new TextEncoder();

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

function putString(buf: Uint8Array, off: number, len: number, bytes: Uint8Array): void {
  buf.set(bytes.subarray(0, len), off);
}

function putOctal(buf: Uint8Array, off: number, len: number, value: number): void {
  const s = value.toString(8).padStart(len - 1, '0');
  for (let i = 0; i < len - 1; i++) buf[off + i] = s.charCodeAt(i);
  buf[off + len - 1] = 0;
}

/**
 * Split a name into ustar prefix and name exactly as GNU tar does: the rightmost '/' at
 * an index ≤ 155 (ignoring a trailing '/'); undefined when no split fits (→ PAX path).
 */
export function splitUstarName(nameBytes: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  if (nameBytes.length <= 100) return { prefix: new Uint8Array(0), name: nameBytes };
  let length = nameBytes.length;
  if (length > 156) length = 156;
  else if (nameBytes[length - 1] === 0x2f) length--;
  let i = length - 1;
  for (; i > 0; i--) if (nameBytes[i] === 0x2f) break;
  if (i <= 0 || nameBytes.length - i - 1 > 100) return undefined;
  return { prefix: nameBytes.subarray(0, i), name: nameBytes.subarray(i + 1) };
}

interface UstarFields {
  readonly name: Uint8Array;
  readonly prefix: Uint8Array;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: Uint8Array;
  readonly devmajor: number;
  readonly devminor: number;
}

function ustarBlock(f: UstarFields): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, 0, 100, f.name);
  putOctal(b, 100, 8, f.mode);
  putOctal(b, 108, 8, f.uid);
  putOctal(b, 116, 8, f.gid);
  putOctal(b, 124, 12, f.size);
  putOctal(b, 136, 12, f.mtime);
  b[156] = f.typeflag.charCodeAt(0);
  putString(b, 157, 100, f.linkname);
  putString(b, 257, 6, enc.encode('ustar\0'));
  putString(b, 263, 2, enc.encode('00'));
  putOctal(b, 329, 8, f.devmajor);
  putOctal(b, 337, 8, f.devminor);
  putString(b, 345, 155, f.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  const s = sum.toString(8).padStart(6, '0');
  for (let i = 0; i < 6; i++) b[148 + i] = s.charCodeAt(i);
  b[154] = 0;
  b[155] = 0x20;
  return b;
}

/** One PAX record: "<len> <key>=<value>\n" where len counts the whole record. */
export function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = enc.encode(` ${key}=`);
  const rest = body.length + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  const out = new Uint8Array(len);
  const head = enc.encode(String(len));
  out.set(head, 0);
  out.set(body, head.length);
  out.set(value, head.length + body.length);
  out[len - 1] = 0x0a;
  return out;
}

export function padLength(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Header block(s) for one entry: optional PAX header + its data, then the ustar block. */
export function encodeHeader(e: PreparedEntry): Uint8Array {
  const nameBytes = enc.encode(e.name);
  const linkBytes = enc.encode(e.linkname);
  const pax: [string, Uint8Array][] = [];
  const split = splitUstarName(nameBytes);
  if (!split) pax.push(['path', nameBytes]);
  if (linkBytes.length > 100) pax.push(['linkpath', linkBytes]);
  const sizeFits = e.size <= MAX_OCTAL_11;
  if (!sizeFits) pax.push(['size', enc.encode(String(e.size))]);
  const uidFits = e.uid <= MAX_OCTAL_7;
  const gidFits = e.gid <= MAX_OCTAL_7;
  if (!uidFits) pax.push(['uid', enc.encode(String(e.uid))]);
  if (!gidFits) pax.push(['gid', enc.encode(String(e.gid))]);
  const mtimeFits = e.mtime >= 0 && e.mtime <= MAX_OCTAL_11;
  if (!mtimeFits) pax.push(['mtime', enc.encode(String(e.mtime))]);
  for (const [k, v] of e.xattrs) pax.push([`SCHILY.xattr.${k}`, v]);
  if (e.devmajor > MAX_OCTAL_7 || e.devminor > MAX_OCTAL_7) {
    throw new StrataError('tar/bad-field', `'${e.path}': device number too large for ustar`, { hint: 'device numbers must be < 2097152', kind: 'build' });
  }
  const main = ustarBlock({
    name: split ? split.name : nameBytes.subarray(0, 100),
    prefix: split ? split.prefix : new Uint8Array(0),
    mode: e.mode,
    uid: uidFits ? e.uid : 0,
    gid: gidFits ? e.gid : 0,
    size: sizeFits ? e.size : 0,
    mtime: mtimeFits ? e.mtime : 0,
    typeflag: e.typeflag,
    linkname: linkBytes.subarray(0, 100),
    devmajor: e.devmajor < 0 ? 0 : e.devmajor,
    devminor: e.devminor < 0 ? 0 : e.devminor,
  });
  if (pax.length === 0) return main;
  pax.sort((a, b) => compareUtf8(a[0], b[0]));
  const records = pax.map(([k, v]) => paxRecord(k, v));
  const dataLen = records.reduce((n, r) => n + r.length, 0);
  const paxHeader = ustarBlock({
    name: enc.encode('././@PaxHeader'),
    prefix: new Uint8Array(0),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: dataLen,
    mtime: 0,
    typeflag: 'x',
    linkname: new Uint8Array(0),
    devmajor: 0,
    devminor: 0,
  });
  const out = new Uint8Array(BLOCK + dataLen + padLength(dataLen) + BLOCK);
  out.set(paxHeader, 0);
  let off = BLOCK;
  for (const r of records) {
    out.set(r, off);
    off += r.length;
  }
  out.set(main, BLOCK + dataLen + padLength(dataLen));
  return out;
}
