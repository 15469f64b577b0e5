/**
 * Test support: OpenPGP keys generated at test time (no private key is ever committed),
 * and helpers that write signatures the way an attacker or a careless signer might.
 * Used only by *.test.ts files and the benchmark.
 */
import zlib from 'node:zlib';
import * as openpgp from 'openpgp';
import { createPayload } from './payload.js';

export type TestKey = openpgp.PrivateKey;

export interface KeyOptions {
  readonly name: string;
  readonly type?: 'ed25519' | 'rsa3072';
  /** Key creation time; default now. */
  readonly date?: Date;
  /** Seconds until the key expires; default never. */
  readonly expiresIn?: number;
  /** Add an Ed25519 signing subkey (after the encryption subkey). */
  readonly signingSubkey?: boolean;
}

export async function generateTestKey(o: KeyOptions): Promise<TestKey> {
  const email = `${o.name.toLowerCase().replace(/[^a-z0-9]/g, '')}@example.org`;
  const subkeys: openpgp.SubkeyOptions[] = [{}];
  if (o.signingSubkey) subkeys.push({ sign: true, type: 'ecc', curve: 'ed25519Legacy' });
  const common = {
    userIDs: [{ name: o.name, email }],
    subkeys,
    format: 'object' as const,
    ...(o.date ? { date: o.date } : {}),
    ...(o.expiresIn ? { keyExpirationTime: o.expiresIn } : {}),
  };
  const { privateKey } =
    o.type === 'rsa3072'
      ? await openpgp.generateKey({ ...common, type: 'rsa', rsaBits: 3072 })
      : await openpgp.generateKey({ ...common, type: 'ecc', curve: 'ed25519Legacy' });
  return privateKey;
}

export function armoredPublic(key: openpgp.PrivateKey | openpgp.PublicKey): string {
  return (key.isPrivate() ? key.toPublic() : key).armor();
}

export async function revoked(key: openpgp.PrivateKey): Promise<openpgp.PublicKey> {
  const { publicKey } = await openpgp.revokeKey({ key, format: 'object' });
  return publicKey;
}

export interface RawSignOptions {
  readonly date?: Date;
  /** Sign with this subkey (64-bit id hex) instead of the default signing key. */
  readonly subkeyID?: string;
  /**
   * Sign with the given component even if it is not signing-capable (to build a
   * "non-signing key" case): bypasses openpgp.js's key selection for this one call.
   */
  readonly forceComponent?: number;
}

/** Sign arbitrary payload bytes as an OpenPGP signed message (binary). */
export async function signRaw(payload: Uint8Array, key: openpgp.PrivateKey, o: RawSignOptions = {}): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: payload });
  let signingKey = key;
  if (o.forceComponent !== undefined) {
    const component = key.subkeys[o.forceComponent];
    if (!component) throw new Error('no such subkey');
    // A shallow copy whose key selection returns the chosen component, whatever its flags.
    signingKey = Object.create(key) as openpgp.PrivateKey;
    (signingKey as unknown as { getSigningKey: () => Promise<unknown> }).getSigningKey = async () => component;
  }
  const keyIDs = o.subkeyID ? key.getKeys().filter((k) => k.getKeyID().toHex() === o.subkeyID).map((k) => k.getKeyID()) : [];
  return openpgp.sign({
    message,
    signingKeys: signingKey,
    format: 'binary',
    ...(keyIDs.length ? { signingKeyIDs: keyIDs } : {}),
    ...(o.date ? { date: o.date } : {}),
  });
}

/** The standard payload for `<ref>` and digest, signed. */
export async function signReference(ref: string, digest: string, key: openpgp.PrivateKey, o: RawSignOptions & { creator?: string } = {}): Promise<Uint8Array> {
  return signRaw(createPayload({ dockerReference: ref, digest, creator: o.creator ?? 'test', timestamp: 1 }), key, o);
}

/** A cleartext-signed text (-----BEGIN PGP SIGNED MESSAGE-----). */
export async function cleartextSigned(text: string, key: openpgp.PrivateKey): Promise<Uint8Array> {
  const message = await openpgp.createCleartextMessage({ text });
  return new TextEncoder().encode(await openpgp.sign({ message, signingKeys: key }));
}

/** A detached signature, binary or armored. */
export async function detachedSignature(payload: Uint8Array, key: openpgp.PrivateKey, armored: boolean): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: payload });
  if (armored) return new TextEncoder().encode(await openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored' }));
  return openpgp.sign({ message, signingKeys: key, detached: true, format: 'binary' });
}

/**
 * A signed message of `size` zero bytes wrapped in a zlib Compressed Data packet (tag 8),
 * built by hand (RFC 4880 §5.6: one algorithm octet, 2 = ZLIB, then the zlib stream), so
 * a large `size` makes a small "zip bomb".
 */
export async function compressedSignedMessage(size: number, key: openpgp.PrivateKey): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(size) });
  const signed = await openpgp.sign({ message, signingKeys: key, format: 'binary' });
  const body = Buffer.concat([Buffer.from([2]), zlib.deflateSync(signed, { level: 9 })]);
  return new Uint8Array(Buffer.concat([Buffer.from([0xc0 | 8]), newFormatLength(body.length), body]));
}

function newFormatLength(n: number): Buffer {
  if (n < 192) return Buffer.from([n]);
  if (n < 8384) return Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xff;
  b.writeUInt32BE(n, 1);
  return b;
}
