/**
 * Signing core (the `strata sign` command adds the store check "only digests I built").
 *
 * signDigest writes one containers-signature payload for `<ns>/<image>:<version>` and the
 * digest, signed as an OpenPGP signed message, into the lookaside directory under the
 * first free signature-<n>. Incremental: if a signature by this signer's primary key over
 * this digest (and this repository) is already there, nothing is written.
 */
import { spawn } from 'node:child_process';
import { parseNormalizedReference, ReferenceSyntaxError } from './docker-reference.js';
import { readSignatures, writeSignature } from './lookaside.js';
import { Keyring, gpgSignPayload, readPublicKeys, signPayload, verifySignedMessage, type PrivateKey, type PublicKey } from './openpgp.js';
import { createPayload, parsePayload } from './payload.js';
import { StrataError } from '../errors.js';

export type Signer =
  | { readonly kind: 'key'; readonly privateKey: PrivateKey }
  | {
      readonly kind: 'gpg';
      /** Full fingerprint of the primary key (or signing subkey) gpg-agent holds. */
      readonly fingerprint: string;
      readonly gnupgHome?: string;
      /** The signer's public key; default: exported from gpg. */
      readonly publicKey?: PublicKey;
    };

export interface SignDigestInput {
  /** `<stage>-<name>`. */
  readonly image: string;
  /** The package version; becomes the tag of the identity. */
  readonly version: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  readonly namespace: string;
  readonly signer: Signer;
  /** The lookaside directory (a local path). */
  readonly signaturesDir: string;
  /** Signing time (payload timestamp and OpenPGP signature time); default now. */
  readonly date?: Date;
  /** optional.creator; default 'strata'. */
  readonly creator?: string;
}

export type SignDigestResult =
  | { readonly status: 'signed'; readonly n: number; readonly file: string; readonly fingerprint: string }
  | { readonly status: 'already-signed'; readonly n: number; readonly fingerprint: string };

export async function signDigest(input: SignDigestInput): Promise<SignDigestResult> {
  const reference = `${input.namespace}/${input.image}:${input.version}`;
  let repositoryPath: string;
  try {
    repositoryPath = parseNormalizedReference(reference).path;
  } catch (e) {
    if (e instanceof ReferenceSyntaxError) {
      throw new StrataError('trust/bad-identity', `cannot sign '${reference}': ${e.message}`, {
        hint: 'the identity is <namespace>/<image>:<version>; the version must be a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]*)',
      });
    }
    throw e;
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(input.digest)) {
    throw new StrataError('trust/bad-digest', `'${input.digest}' is not sha256:<64 hex>`, { hint: 'pass the manifest digest' });
  }
  const date = input.date ?? new Date();
  const publicKey = await signerPublicKey(input.signer);
  const primary = publicKey.getFingerprint().toLowerCase();

  const own = new Keyring([publicKey]);
  const existing = await readSignatures({ kind: 'dir', dir: input.signaturesDir, display: input.signaturesDir }, repositoryPath, input.digest);
  for (const sig of existing) {
    if (!sig.bytes) continue;
    const v = await verifySignedMessage(sig.bytes, own, date);
    if (!v.ok || v.primaryFingerprint !== primary) continue;
    const p = parsePayload(v.literalData);
    if (p.ok && p.payload.untrustedDigest === input.digest && p.payload.untrustedReference.path === repositoryPath) {
      return { status: 'already-signed', n: sig.n, fingerprint: primary };
    }
  }

  const payload = createPayload({
    dockerReference: reference,
    digest: input.digest,
    creator: input.creator ?? 'strata',
    timestamp: Math.floor(date.getTime() / 1000),
  });
  const bytes =
    input.signer.kind === 'key'
      ? await signPayload(payload, input.signer.privateKey, date)
      : await gpgSignPayload(payload, {
          fingerprint: input.signer.fingerprint,
          ...(input.signer.gnupgHome ? { gnupgHome: input.signer.gnupgHome } : {}),
        });
  // Never publish something we could not verify ourselves. gpg stamps the signature with
  // its own clock (seconds, taken after `date`), so a gpg signature is checked as of now:
  // checked at `date`, one made a second later is "created in the future".
  const checkDate = input.signer.kind === 'key' ? date : new Date(Math.max(date.getTime(), Date.now()));
  const check = await verifySignedMessage(bytes, own, checkDate);
  if (!check.ok || check.primaryFingerprint !== primary) {
    throw new StrataError('trust/sign-self-check', `the new signature does not verify: ${check.ok ? 'wrong key' : check.rejection.message}`, {
      kind: 'build',
      hint: 'check that the signing key is valid (not expired or revoked) and signing-capable',
    });
  }
  const { n, file } = await writeSignature(input.signaturesDir, repositoryPath, input.digest, bytes);
  return { status: 'signed', n, file, fingerprint: primary };
}

async function signerPublicKey(signer: Signer): Promise<PublicKey> {
  if (signer.kind === 'key') return signer.privateKey.toPublic();
  if (signer.publicKey) return signer.publicKey;
  const exported = await gpgExport(signer.fingerprint, signer.gnupgHome);
  const keys = await readPublicKeys(exported, `gpg --export ${signer.fingerprint}`);
  const fpr = signer.fingerprint.replace(/\s+/g, '').toLowerCase();
  const key = keys.find((k) => k.getFingerprint() === fpr || k.getKeys().some((c) => c.getFingerprint() === fpr));
  if (!key) {
    throw new StrataError('trust/gpg-no-key', `gpg has no public key ${signer.fingerprint.toUpperCase()}`, {
      hint: 'import the key into the GNUPGHOME gpg uses, or check the fingerprint',
    });
  }
  return key;
}

function gpgExport(fingerprint: string, gnupgHome: string | undefined): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn('gpg', [...(gnupgHome ? ['--homedir', gnupgHome] : []), '--batch', '--export', fingerprint], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.resume();
    child.on('error', (e) => reject(new StrataError('trust/gpg-failed', `cannot run gpg: ${e.message}`, { kind: 'io', hint: 'install gnupg' })));
    child.on('close', (code) => {
      const bytes = Buffer.concat(out);
      if (code === 0 && bytes.length > 0) resolve(new Uint8Array(bytes));
      else reject(new StrataError('trust/gpg-no-key', `gpg --export ${fingerprint} gave no key`, { kind: 'input', hint: 'check the fingerprint and GNUPGHOME (gpg --list-keys)' }));
    });
  });
}
