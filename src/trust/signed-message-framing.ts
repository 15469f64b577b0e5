/**
 * OpenPGP packet framing (RFC 4880 §4.2) for the one shape strata and openpgp.js write:
 *
 *   One-Pass Signature (tag 4) · Literal Data (tag 11, format 'b') · Signature (tag 2)
 *
 * and nothing else. It only *splits* the bytes (no cryptography, no trust decisions): the
 * caller verifies the signature packet as a detached signature over the literal data with
 * openpgp.js, which is several times cheaper than openpgp.js's streaming message path.
 * Anything else (compression, other packets, partial shapes) returns undefined and goes
 * through the full path. Pure.
 */
import { concatBytes } from '../bytes.js';

export interface SimpleSignedMessage {
  /** Raw one-pass signature packet body. */
  readonly onePass: Uint8Array;
  /** The literal data (the payload). */
  readonly data: Uint8Array;
  /** The signature packet including its header, for openpgp.readSignature. */
  readonly signaturePacket: Uint8Array;
}

interface Packet {
  readonly tag: number;
  readonly body: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** Split `bytes` into packets; undefined on anything malformed or unusual. */
function readPackets(bytes: Uint8Array, maxPackets: number): Packet[] | undefined {
  const out: Packet[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (out.length >= maxPackets) return undefined;
    const start = i;
    const h = bytes[i++]!;
    if ((h & 0x80) === 0) return undefined;
    let tag: number;
    let body: Uint8Array;
    if (h & 0x40) {
      // new format
      tag = h & 0x3f;
      const parts: Uint8Array[] = [];
      for (;;) {
        const o = bytes[i++];
        if (o === undefined) return undefined;
        let len: number;
        let partial = false;
        if (o < 192) len = o;
        else if (o < 224) {
          const o2 = bytes[i++];
          if (o2 === undefined) return undefined;
          len = ((o - 192) << 8) + o2 + 192;
        } else if (o === 255) {
          if (i + 4 > bytes.length) return undefined;
          len = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
          i += 4;
        } else {
          len = 1 << (o & 0x1f);
          partial = true;
        }
        if (i + len > bytes.length) return undefined;
        parts.push(bytes.subarray(i, i + len));
        i += len;
        if (!partial) break;
      }
      body = parts.length === 1 ? parts[0]! : concatBytes(parts);
    } else {
      // old format
      tag = (h >> 2) & 0x0f;
      const lt = h & 0x03;
      let len: number;
      if (lt === 0) {
        if (i + 1 > bytes.length) return undefined;
        len = bytes[i]!;
        i += 1;
      } else if (lt === 1) {
        if (i + 2 > bytes.length) return undefined;
        len = (bytes[i]! << 8) + bytes[i + 1]!;
        i += 2;
      } else if (lt === 2) {
        if (i + 4 > bytes.length) return undefined;
        len = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
        i += 4;
      } else {
        return undefined; // indeterminate length: leave it to the full parser
      }
      if (i + len > bytes.length) return undefined;
      body = bytes.subarray(i, i + len);
      i += len;
    }
    out.push({ tag, body, start, end: i });
  }
  return out;
}

/** The three packets of a simple binary signed message, or undefined. */
export function splitSimpleSignedMessage(bytes: Uint8Array): SimpleSignedMessage | undefined {
  const packets = readPackets(bytes, 3);
  if (!packets || packets.length !== 3) return undefined;
  const [ops, lit, sig] = packets as [Packet, Packet, Packet];
  if (ops.tag !== 4 || lit.tag !== 11 || sig.tag !== 2) return undefined;
  // One-Pass Signature v3: version, type, hash, pk algo, 8-byte key id, nested flag (1 = last)
  if (ops.body.length !== 13 || ops.body[0] !== 3 || ops.body[1] !== 0 || ops.body[12] !== 1) return undefined;
  // Literal: format 'b', name length, name, 4-byte date, data
  const b = lit.body;
  if (b.length < 6 || b[0] !== 0x62) return undefined;
  const nameLen = b[1]!;
  if (b.length < 2 + nameLen + 4) return undefined;
  const data = b.subarray(2 + nameLen + 4);
  return { onePass: ops.body, data, signaturePacket: bytes.subarray(sig.start, sig.end) };
}

/** Hex of the one-pass packet's 8-byte key id (to match the signature's issuer). */
export function onePassKeyIdHex(onePass: Uint8Array): string {
  return Buffer.from(onePass.subarray(4, 12)).toString('hex');
}
