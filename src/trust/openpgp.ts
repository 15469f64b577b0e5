/**
 * The OpenPGP adapter: everything strata does with openpgp.js (v6) and gpg lives here.
 *
 * Verification takes the bytes of one lookaside signature file, a keyring and a date, and
 * answers either the verified literal data plus the signing key's *primary* fingerprint,
 * or a Rejection with a code. What it refuses:
 *   - files over MAX_SIGNATURE_BYTES (before any parsing),
 *   - anything that is not an OpenPGP signed message (cleartext-signed text, detached
 *     signatures, encrypted messages, bare literal data),
 *   - compressed messages that expand past MAX_DECOMPRESSED_BYTES,
 *   - messages with other than exactly one signature,
 *   - keys not in the keyring, revoked or expired at `date`, or whose (sub)key is not
 *     signing-capable at `date`,
 *   - signatures that do not verify.
 * 64-bit key ids are used only to find candidate keys; identity is the full primary
 * fingerprint of the key whose signature verified.
 */
import { spawn } from 'node:child_process';
import * as openpgp from 'openpgp';
import { StrataError } from '../errors.js';
import { reject, type Rejection } from './reasons.js';
import { onePassKeyIdHex, splitSimpleSignedMessage } from './signed-message-framing.js';

/** Largest signature file read at all. Real ones are under 1 KiB (RSA 4096: ~600 bytes). */
export const MAX_SIGNATURE_BYTES = 64 * 1024;
/** Largest decompressed message; a payload is a few hundred bytes. */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024;

const READ_CONFIG: openpgp.PartialConfig = { maxDecompressedMessageSize: MAX_DECOMPRESSED_BYTES };

export type PublicKey = openpgp.PublicKey;
export type PrivateKey = openpgp.PrivateKey;

/** Public keys indexed for lookup. Keys are identified by full primary fingerprint (lower-case hex). */
export class Keyring {
  private readonly byFingerprint = new Map<string, PublicKey>();

  /** Keys must have distinct fingerprints: use buildKeyring() to merge copies first. */
  constructor(keys: readonly PublicKey[]) {
    for (const k of keys) {
      const fpr = k.getFingerprint().toLowerCase();
      if (this.byFingerprint.has(fpr)) throw new Error(`Keyring: key ${fpr} given twice (merge with buildKeyring)`);
      this.byFingerprint.set(fpr, k);
    }
  }

  get size(): number {
    return this.byFingerprint.size;
  }

  fingerprints(): string[] {
    return [...this.byFingerprint.keys()].sort();
  }

  get(fingerprint: string): PublicKey | undefined {
    return this.byFingerprint.get(fingerprint.toLowerCase());
  }

  /** Keys having a primary key or subkey with this 64-bit id (a lookup hint only). */
  candidates(keyID: openpgp.KeyID): PublicKey[] {
    return [...this.byFingerprint.values()].filter((k) => k.getKeys(keyID).length > 0);
  }

  /** Every key as binary transferable public key packets (to rebuild the keyring in a worker). */
  exportBinary(): Uint8Array[] {
    return [...this.byFingerprint.values()].map((k) => k.write());
  }

  /** A keyring holding only the given fingerprints (those MAINTAINERS lists). */
  restrictTo(fingerprints: Iterable<string>): Keyring {
    const out: PublicKey[] = [];
    for (const f of fingerprints) {
      const k = this.get(f);
      if (k) out.push(k);
    }
    return new Keyring(out);
  }
}

/** A keyring from keys that may contain several copies of one key (signatures merged, so a
 * revocation in any copy is seen). */
export async function buildKeyring(keys: readonly PublicKey[]): Promise<Keyring> {
  return new Keyring(await mergeKeys(keys));
}

/** Read public keys from armored text or binary keyring bytes; merges duplicate copies. */
export async function readPublicKeys(data: Uint8Array, source: string): Promise<PublicKey[]> {
  const text = new TextDecoder().decode(data.subarray(0, 64));
  let keys: openpgp.Key[];
  try {
    if (text.trimStart().startsWith('-----BEGIN PGP')) {
      // A file may hold several armored blocks one after another (concatenated exports).
      const blocks = new TextDecoder().decode(data).match(/-----BEGIN PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----/g);
      if (!blocks) throw new Error('no complete armored key block');
      keys = [];
      for (const b of blocks) keys.push(...(await openpgp.readKeys({ armoredKeys: b })));
    } else {
      keys = await openpgp.readKeys({ binaryKeys: data });
    }
  } catch (e) {
    throw new StrataError('trust/bad-keyring', `cannot read OpenPGP public keys: ${errorMessage(e)}`, {
      location: { file: source },
      hint: "export keys with 'gpg --export --armor FINGERPRINT > keys/NAME.asc' (or pass a binary keyring to --keyring)",
    });
  }
  return mergeKeys(keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as PublicKey))));
}

/** Merge key lists (same fingerprint → one key with the union of signatures). */
export async function mergeKeys(keys: readonly PublicKey[]): Promise<PublicKey[]> {
  const merged = new Map<string, PublicKey>();
  for (const k of keys) {
    const fpr = k.getFingerprint();
    const prev = merged.get(fpr);
    merged.set(fpr, prev ? await prev.update(k) : k);
  }
  return [...merged.values()];
}

export interface VerifiedMessage {
  readonly ok: true;
  /** Full fingerprint of the primary key, lower-case hex. */
  readonly primaryFingerprint: string;
  /** Full fingerprint of the (sub)key that made the signature. */
  readonly signingKeyFingerprint: string;
  /** The signed literal data (the payload), verified. */
  readonly literalData: Uint8Array;
}

export type VerifyResult = VerifiedMessage | { readonly ok: false; readonly rejection: Rejection };

const ENCRYPTED_TAGS = new Set<number>([
  openpgp.enums.packet.publicKeyEncryptedSessionKey,
  openpgp.enums.packet.symEncryptedSessionKey,
  openpgp.enums.packet.symmetricallyEncryptedData,
  openpgp.enums.packet.symEncryptedIntegrityProtectedData,
  openpgp.enums.packet.aeadEncryptedData,
]);

export interface VerifyOptions {
  /**
   * Try the cheap path first for the common uncompressed shape (default true). It can only
   * accept; every rejection, and every other shape, comes from the full openpgp.js path.
   */
  readonly fastPath?: boolean;
}

/** Verify one signature file's bytes. Never throws for bad input: returns a rejection. */
export async function verifySignedMessage(bytes: Uint8Array, keyring: Keyring, date: Date, options: VerifyOptions = {}): Promise<VerifyResult> {
  const no = (code: Rejection['code'], message: string): VerifyResult => ({ ok: false, rejection: reject(code, message) });
  if (bytes.length > MAX_SIGNATURE_BYTES) {
    return no('trust/signature-too-large', `signature is ${bytes.length} bytes, more than the ${MAX_SIGNATURE_BYTES}-byte limit`);
  }
  if (bytes.length === 0) return no('trust/malformed-signature', 'signature file is empty');
  if (options.fastPath !== false) {
    const fast = await verifySimpleSignedMessage(bytes, keyring, date);
    if (fast) return fast;
  }

  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 40)).trimStart();
  let message: openpgp.Message<Uint8Array | string>;
  try {
    if (head.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
      return no('trust/not-signed-message', 'a cleartext-signed text, not an OpenPGP signed message');
    } else if (head.startsWith('-----BEGIN PGP SIGNATURE-----')) {
      return no('trust/not-signed-message', 'a detached signature, not an OpenPGP signed message');
    } else if (head.startsWith('-----BEGIN PGP MESSAGE-----')) {
      message = await openpgp.readMessage({ armoredMessage: new TextDecoder().decode(bytes), config: READ_CONFIG });
    } else if (head.startsWith('-----BEGIN')) {
      return no('trust/not-signed-message', `an armored '${head.split('\n')[0]}' block, not an OpenPGP signed message`);
    } else {
      message = await openpgp.readMessage({ binaryMessage: bytes, config: READ_CONFIG });
    }
  } catch (e) {
    return classifyReadError(e);
  }

  const tags = message.packets.map((p) => (p.constructor as unknown as { tag: number }).tag);
  if (tags.some((t) => ENCRYPTED_TAGS.has(t))) {
    return no('trust/not-signed-message', 'an encrypted message, not a signed one');
  }
  let inner: openpgp.Message<Uint8Array | string>;
  try {
    inner = message.unwrapCompressed();
  } catch (e) {
    return classifyReadError(e);
  }
  if (inner.getLiteralData() === null) {
    return no('trust/not-signed-message', 'no signed data in the message (a detached signature?)');
  }
  const keyIDs = inner.getSigningKeyIDs();
  if (keyIDs.length === 0) return no('trust/not-signed-message', 'the message carries no signature');
  if (keyIDs.length !== 1) return no('trust/malformed-signature', `the message carries ${keyIDs.length} signatures, expected exactly 1`);
  const keyID = keyIDs[0]!;

  const candidates = keyring.candidates(keyID);
  if (candidates.length === 0) {
    return no('trust/unknown-key', `signed by key id ${keyID.toHex().toUpperCase()}, which is not a maintainer key`);
  }
  let lastRejection: Rejection | undefined;
  for (const key of candidates) {
    const validity = await checkKeyValidity(key, keyID, date);
    if (validity) {
      lastRejection = validity;
      continue;
    }
    const verified = await verifyWith(inner, key, date);
    if (verified.ok) return verified;
    lastRejection = verified.rejection;
  }
  return { ok: false, rejection: lastRejection! };
}

/**
 * The fast path: split a plain `one-pass · literal('b') · signature` message (no
 * compression), and verify its signature packet as a detached binary signature over the
 * literal data — the same check openpgp.js's message path makes, minus its streaming
 * machinery. The one-pass packet must agree with the signature (type, hash, algorithm,
 * key id). Returns a verified result or undefined (then the full path decides).
 */
async function verifySimpleSignedMessage(bytes: Uint8Array, keyring: Keyring, date: Date): Promise<VerifiedMessage | undefined> {
  const parts = splitSimpleSignedMessage(bytes);
  if (!parts) return undefined;
  try {
    const signature = await openpgp.readSignature({ binarySignature: parts.signaturePacket, config: READ_CONFIG });
    const packets = signature.packets;
    if (packets.length !== 1) return undefined;
    const sp = packets[0] as openpgp.SignaturePacket;
    if (sp.signatureType !== openpgp.enums.signature.binary) return undefined;
    if (parts.onePass[2] !== sp.hashAlgorithm || parts.onePass[3] !== sp.publicKeyAlgorithm) return undefined;
    const keyIDs = signature.getSigningKeyIDs();
    if (keyIDs.length !== 1 || keyIDs[0]!.toHex() !== onePassKeyIdHex(parts.onePass)) return undefined;
    const keyID = keyIDs[0]!;
    for (const key of keyring.candidates(keyID)) {
      if (await checkKeyValidity(key, keyID, date)) return undefined;
      const message = await openpgp.createMessage({ binary: parts.data });
      const result = await openpgp.verify({
        message,
        signature,
        verificationKeys: key,
        expectSigned: true,
        format: 'binary',
        date,
        config: READ_CONFIG,
      });
      if (result.signatures.length !== 1) return undefined;
      await result.signatures[0]!.verified;
      const component = key.getKeys(keyID)[0];
      if (!component) return undefined;
      return {
        ok: true,
        primaryFingerprint: key.getFingerprint().toLowerCase(),
        signingKeyFingerprint: component.getFingerprint().toLowerCase(),
        literalData: new Uint8Array(parts.data),
      };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Key validity depends only on the key, the component and the date, and checking it
 * re-verifies self-signatures, so it is computed once per (key, component, date).
 */
const validityCache = new WeakMap<PublicKey, Map<string, Promise<Rejection | undefined>>>();

function checkKeyValidity(key: PublicKey, keyID: openpgp.KeyID, date: Date): Promise<Rejection | undefined> {
  let perKey = validityCache.get(key);
  if (!perKey) {
    perKey = new Map();
    validityCache.set(key, perKey);
  }
  const slot = `${keyID.toHex()}@${date.getTime()}`;
  let p = perKey.get(slot);
  if (!p) {
    p = computeKeyValidity(key, keyID, date);
    perKey.set(slot, p);
  }
  return p;
}

/** Undefined when `key` may sign with the component `keyID` at `date`; else why not. */
async function computeKeyValidity(key: PublicKey, keyID: openpgp.KeyID, date: Date): Promise<Rejection | undefined> {
  const fpr = key.getFingerprint().toUpperCase();
  if (await key.isRevoked(undefined, undefined, date)) {
    return reject('trust/key-revoked', `key ${fpr} is revoked`);
  }
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= date.getTime()) {
    return reject('trust/key-expired', `key ${fpr} expired on ${expires.toISOString()}`);
  }
  const component = key.getKeys(keyID)[0];
  if (component && component !== key) {
    const sub = component as openpgp.Subkey;
    if (await sub.isRevoked(undefined as unknown as openpgp.SignaturePacket, undefined as unknown as openpgp.PublicKeyPacket, date)) {
      return reject('trust/key-revoked', `subkey ${sub.getFingerprint().toUpperCase()} of ${fpr} is revoked`);
    }
    const subExpires = await sub.getExpirationTime(date).catch(() => null);
    if (subExpires instanceof Date && subExpires.getTime() <= date.getTime()) {
      return reject('trust/key-expired', `subkey ${sub.getFingerprint().toUpperCase()} of ${fpr} expired on ${subExpires.toISOString()}`);
    }
  }
  try {
    await key.getSigningKey(keyID, date);
  } catch {
    return reject(
      'trust/key-not-signing',
      `key ${keyID.toHex().toUpperCase()} (of ${fpr}) is not a valid signing key at ${date.toISOString()}`,
    );
  }
  return undefined;
}

async function verifyWith(message: openpgp.Message<Uint8Array | string>, key: PublicKey, date: Date): Promise<VerifyResult> {
  try {
    const result = await openpgp.verify({
      message,
      verificationKeys: key,
      expectSigned: true,
      format: 'binary',
      date,
      config: READ_CONFIG,
    });
    const sig = result.signatures[0];
    if (!sig || result.signatures.length !== 1) {
      return { ok: false, rejection: reject('trust/malformed-signature', 'expected exactly one signature') };
    }
    await sig.verified;
    const component = key.getKeys(sig.keyID)[0];
    if (!component) throw new Error('signing key vanished');
    const data = result.data;
    if (!(data instanceof Uint8Array)) throw new Error('literal data was not returned as bytes');
    return {
      ok: true,
      primaryFingerprint: key.getFingerprint().toLowerCase(),
      signingKeyFingerprint: component.getFingerprint().toLowerCase(),
      literalData: data,
    };
  } catch (e) {
    const m = errorMessage(e);
    if (/Maximum decompressed message size exceeded/.test(m)) {
      return { ok: false, rejection: reject('trust/decompression-limit', `message expands past ${MAX_DECOMPRESSED_BYTES} bytes`) };
    }
    return { ok: false, rejection: reject('trust/bad-signature', `signature does not verify: ${m}`) };
  }
}

function classifyReadError(e: unknown): VerifyResult {
  const m = errorMessage(e);
  if (/Maximum decompressed message size exceeded/.test(m)) {
    return { ok: false, rejection: reject('trust/decompression-limit', `message expands past ${MAX_DECOMPRESSED_BYTES} bytes`) };
  }
  return { ok: false, rejection: reject('trust/malformed-signature', `not a readable OpenPGP message: ${m}`) };
}

function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

// ---- signing -------------------------------------------------------------------------

/** Read an armored (or binary) private key, decrypting it with `passphrase` if it is locked. */
export async function readPrivateKey(data: Uint8Array, source: string, passphrase?: string): Promise<PrivateKey> {
  let key: PrivateKey;
  try {
    const text = new TextDecoder().decode(data);
    key = text.trimStart().startsWith('-----BEGIN PGP')
      ? await openpgp.readPrivateKey({ armoredKey: text })
      : await openpgp.readPrivateKey({ binaryKey: data });
  } catch (e) {
    throw new StrataError('trust/bad-private-key', `cannot read an OpenPGP private key: ${errorMessage(e)}`, {
      location: { file: source },
      hint: "export it with 'gpg --export-secret-keys --armor FINGERPRINT'",
    });
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined) {
      throw new StrataError('trust/key-locked', 'the private key is protected by a passphrase', {
        location: { file: source },
        hint: 'pass --passphrase-file FILE',
      });
    }
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (e) {
      throw new StrataError('trust/key-locked', `cannot unlock the private key: ${errorMessage(e)}`, {
        location: { file: source },
        hint: 'check the passphrase file (its first line is the passphrase)',
      });
    }
  }
  return key;
}

/** Sign `payload` as an OpenPGP signed message (binary, uncompressed), in-process. */
export async function signPayload(payload: Uint8Array, privateKey: PrivateKey, date?: Date): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: payload });
  return openpgp.sign({ message, signingKeys: privateKey, format: 'binary', ...(date ? { date } : {}) });
}

export interface GpgSignOptions {
  /** Full fingerprint of the key gpg-agent holds (primary or signing subkey). */
  readonly fingerprint: string;
  /** GNUPGHOME; default: gpg's own default. */
  readonly gnupgHome?: string;
  /** The gpg binary; default 'gpg'. */
  readonly gpg?: string;
}

/** Sign `payload` with `gpg --sign` (for keys held by gpg-agent or a smartcard). */
export async function gpgSignPayload(payload: Uint8Array, options: GpgSignOptions): Promise<Uint8Array> {
  const fpr = options.fingerprint.replace(/\s+/g, '');
  if (!/^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(fpr)) {
    throw new StrataError('trust/bad-fingerprint', `'${options.fingerprint}' is not a full key fingerprint`, {
      hint: 'give the 40- or 64-hex fingerprint gpg --fingerprint prints',
    });
  }
  const args = [
    ...(options.gnupgHome ? ['--homedir', options.gnupgHome] : []),
    '--batch',
    '--no-tty',
    '--yes',
    '--local-user',
    `${fpr}!`,
    '--sign',
    '--output',
    '-',
  ];
  return new Promise<Uint8Array>((resolve, reject) => {
    const child = spawn(options.gpg ?? 'gpg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      reject(new StrataError('trust/gpg-failed', `cannot run gpg: ${e.message}`, { kind: 'io', hint: "install gnupg ('apt-get install gnupg')" })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(new Uint8Array(Buffer.concat(out)));
      else {
        const last = Buffer.concat(err).toString('utf8').trim().split('\n').pop() ?? '';
        reject(
          new StrataError('trust/gpg-failed', `gpg --sign failed (exit ${code}): ${last}`, {
            kind: 'io',
            hint: 'check that gpg-agent holds the secret key for that fingerprint (gpg --list-secret-keys)',
          }),
        );
      }
    });
    child.stdin.end(Buffer.from(payload));
  });
}
