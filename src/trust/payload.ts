/**
 * The containers "simple signing" payload (containers-signature(5)): create it, and parse
 * it strictly from bytes that an OpenPGP signature has already verified.
 *
 *   {"critical":{"identity":{"docker-reference":"<ns>/<image>:<tag>"},
 *                "image":{"docker-manifest-digest":"sha256:<hex>"},
 *                "type":"atomic container signature"},
 *    "optional":{"creator":"…","timestamp":<unix seconds>}}
 *
 * The legacy StageX payload — a one-element JSON array, type
 * "pgp container image signature", digest as bare hex — is accepted only when asked and
 * the result is marked `legacy`.
 *
 * Fields read from the payload are named `untrusted…`: the payload proves who signed it,
 * not that it names the image being checked; quorum.ts compares them. Pure: no I/O.
 */
import { isJsonObject, JsonSyntaxError, parseStrictJsonBytes, type JsonObject, type JsonValue } from './strict-json.js';
import { parseNormalizedReference, ReferenceSyntaxError, type DockerReference } from './docker-reference.js';
import { reject, type Rejection } from './reasons.js';

export const SIGNATURE_TYPE = 'atomic container signature';
export const LEGACY_SIGNATURE_TYPE = 'pgp container image signature';
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const BARE_HEX_RE = /^[0-9a-f]{64}$/;

export interface PayloadInput {
  /** As it goes into `critical.identity.docker-reference`, e.g. 'stagex/core-zlib:1.3.1'. */
  readonly dockerReference: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  readonly creator?: string;
  /** Unix seconds. */
  readonly timestamp?: number;
}

/** The payload bytes for a new signature (member order fixed, no whitespace). */
export function createPayload(input: PayloadInput): Uint8Array {
  if (!DIGEST_RE.test(input.digest)) throw new Error(`createPayload: digest must be sha256:<64 hex>, got '${input.digest}'`);
  parseNormalizedReference(input.dockerReference); // throws on an invalid reference
  const optional: Record<string, string | number> = {};
  if (input.creator !== undefined) optional['creator'] = input.creator;
  if (input.timestamp !== undefined) {
    if (!Number.isSafeInteger(input.timestamp)) throw new Error('createPayload: timestamp must be an integer');
    optional['timestamp'] = input.timestamp;
  }
  const payload = {
    critical: {
      identity: { 'docker-reference': input.dockerReference },
      image: { 'docker-manifest-digest': input.digest },
      type: SIGNATURE_TYPE,
    },
    optional,
  };
  return new TextEncoder().encode(JSON.stringify(payload));
}

/** What a verified payload claims; every field still needs checking against the image. */
export interface UntrustedPayload {
  readonly untrustedDockerReference: string;
  /** Normalised; `untrustedReference.path` is the repository path that must match. */
  readonly untrustedReference: DockerReference;
  /** `sha256:<64 hex>` (legacy bare hex is normalised to this form). */
  readonly untrustedDigest: string;
  readonly untrustedCreator: string | undefined;
  readonly untrustedTimestamp: number | undefined;
  /** True for the legacy StageX array payload. */
  readonly legacy: boolean;
}

export type PayloadResult = { ok: true; payload: UntrustedPayload } | { ok: false; rejection: Rejection };

export interface ParsePayloadOptions {
  /** Accept the legacy StageX payload (marked legacy). */
  readonly legacy?: boolean;
}

class PayloadError extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
  }
}

function fail(code: Rejection['code'], message: string): never {
  throw new PayloadError(reject(code, message));
}

/** Parse payload bytes strictly. Never throws: a bad payload is a rejection. */
export function parsePayload(bytes: Uint8Array, options: ParsePayloadOptions = {}): PayloadResult {
  try {
    return { ok: true, payload: parseOrThrow(bytes, options) };
  } catch (e) {
    if (e instanceof PayloadError) return { ok: false, rejection: e.rejection };
    throw e;
  }
}

function parseOrThrow(bytes: Uint8Array, options: ParsePayloadOptions): UntrustedPayload {
  let doc: JsonValue;
  try {
    doc = parseStrictJsonBytes(bytes);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      if (e.kind === 'duplicate-key') fail('trust/payload-duplicate-member', `payload JSON has a ${e.message}`);
      fail('trust/payload-malformed', `payload is not valid JSON: ${e.message}`);
    }
    throw e;
  }
  if (Array.isArray(doc)) return parseLegacy(doc, options);
  if (!isJsonObject(doc)) fail('trust/payload-malformed', 'payload is not a JSON object');
  exactMembers(doc, 'payload', ['critical'], ['optional']);
  const critical = objectMember(doc, 'critical', 'payload');
  exactMembers(critical, 'critical', ['identity', 'image', 'type'], []);
  const type = critical['type'];
  if (type !== SIGNATURE_TYPE) {
    if (type === LEGACY_SIGNATURE_TYPE) {
      fail('trust/payload-bad-type', `critical.type '${LEGACY_SIGNATURE_TYPE}' is only valid in the legacy array payload`);
    }
    fail('trust/payload-bad-type', `critical.type is ${JSON.stringify(type)}, expected '${SIGNATURE_TYPE}'`);
  }
  return untrustedPayload(critical, doc['optional'], false);
}

/**
 * The payload's fields, still untrusted: image and identity from `critical`, then creator and
 * timestamp from `optional` (absent; in the legacy payload also null).
 */
function untrustedPayload(critical: JsonObject, optional: JsonValue | undefined, legacy: boolean): UntrustedPayload {
  const { digest, reference, referenceText } = readImageAndIdentity(critical, legacy);
  const absent = optional === undefined || (legacy && optional === null);
  if (!absent && !isJsonObject(optional)) {
    fail('trust/payload-malformed', legacy ? 'optional is neither null nor a JSON object' : 'optional is not a JSON object');
  }
  const { creator, timestamp } = absent ? { creator: undefined, timestamp: undefined } : readOptional(optional as JsonObject);
  return {
    untrustedDockerReference: referenceText,
    untrustedReference: reference,
    untrustedDigest: digest,
    untrustedCreator: creator,
    untrustedTimestamp: timestamp,
    legacy,
  };
}

function parseLegacy(doc: JsonValue[], options: ParsePayloadOptions): UntrustedPayload {
  if (!options.legacy) {
    fail('trust/legacy-payload', 'legacy StageX payload (a JSON array); accepted only with --legacy');
  }
  if (doc.length !== 1) fail('trust/payload-malformed', `legacy payload has ${doc.length} elements, expected 1`);
  const entry = doc[0];
  if (!isJsonObject(entry)) fail('trust/payload-malformed', 'legacy payload element is not a JSON object');
  exactMembers(entry, 'payload', ['critical'], ['optional']);
  const critical = objectMember(entry, 'critical', 'payload');
  exactMembers(critical, 'critical', ['identity', 'image', 'type'], []);
  if (critical['type'] !== LEGACY_SIGNATURE_TYPE) {
    fail('trust/payload-bad-type', `legacy critical.type is ${JSON.stringify(critical['type'])}, expected '${LEGACY_SIGNATURE_TYPE}'`);
  }
  return untrustedPayload(critical, entry['optional'], true);
}

function readImageAndIdentity(
  critical: JsonObject,
  legacy: boolean,
): { digest: string; reference: DockerReference; referenceText: string } {
  const image = objectMember(critical, 'image', 'critical');
  exactMembers(image, 'critical.image', ['docker-manifest-digest'], []);
  const rawDigest = image['docker-manifest-digest'];
  if (typeof rawDigest !== 'string') fail('trust/payload-bad-digest', 'critical.image.docker-manifest-digest is not a string');
  let digest: string;
  if (DIGEST_RE.test(rawDigest)) digest = rawDigest;
  else if (legacy && BARE_HEX_RE.test(rawDigest)) digest = `sha256:${rawDigest}`;
  else {
    fail(
      'trust/payload-bad-digest',
      `critical.image.docker-manifest-digest ${JSON.stringify(rawDigest.slice(0, 100))} is not ${legacy ? '64 lower-case hex' : 'sha256:<64 lower-case hex>'}`,
    );
  }
  const identity = objectMember(critical, 'identity', 'critical');
  exactMembers(identity, 'critical.identity', ['docker-reference'], []);
  const referenceText = identity['docker-reference'];
  if (typeof referenceText !== 'string') fail('trust/identity-invalid', 'critical.identity.docker-reference is not a string');
  let reference: DockerReference;
  try {
    reference = parseNormalizedReference(referenceText);
  } catch (e) {
    if (e instanceof ReferenceSyntaxError) {
      fail('trust/identity-invalid', `docker-reference ${JSON.stringify(referenceText.slice(0, 300))}: ${e.message}`);
    }
    throw e;
  }
  if (reference.digest !== undefined) {
    fail('trust/identity-invalid', 'docker-reference must not contain a digest (the digest is critical.image)');
  }
  return { digest, reference, referenceText };
}

function readOptional(optional: JsonObject): { creator: string | undefined; timestamp: number | undefined } {
  const creator = optional['creator'];
  const timestamp = optional['timestamp'];
  if (creator !== undefined && typeof creator !== 'string') fail('trust/payload-malformed', 'optional.creator is not a string');
  if (timestamp !== undefined && !(typeof timestamp === 'number' && Number.isSafeInteger(timestamp))) {
    fail('trust/payload-malformed', 'optional.timestamp is not an integer');
  }
  return { creator, timestamp };
}

function objectMember(obj: JsonObject, name: string, where: string): JsonObject {
  const v = obj[name];
  if (!isJsonObject(v)) fail('trust/payload-malformed', `${where}.${name} is not a JSON object`);
  return v;
}

/** Require `required` members, allow `optional` ones, reject anything else. */
function exactMembers(obj: JsonObject, where: string, required: readonly string[], optional: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) {
      fail('trust/payload-unknown-member', `unknown member ${JSON.stringify(key.slice(0, 100))} in ${where}`);
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(obj, key)) fail('trust/payload-malformed', `${where} has no member '${key}'`);
  }
}
