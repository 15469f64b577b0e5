/**
 * Errors of the distribution client. Every failure is a StrataError with a code
 * `registry/<kebab-case>`; distribution error bodies (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`)
 * become `registry/manifest-unknown` with the registry's code and the HTTP status in the message.
 *
 * Messages name hosts and paths, never credentials, tokens or query strings (pre-signed
 * redirect URLs carry secrets in their query).
 */
import { StrataError, type FailureKind } from '../errors.js';

export interface RegistryErrorOptions {
  /** What was being accessed (a reference or a URL without query), shown as the location. */
  readonly where?: string;
  readonly hint?: string;
  readonly kind?: FailureKind;
  readonly cause?: unknown;
  readonly detail?: Record<string, unknown>;
}

export function registryError(code: string, message: string, options: RegistryErrorOptions = {}): StrataError {
  return new StrataError(`registry/${code}`, message, {
    ...(options.where !== undefined ? { location: { file: options.where } } : {}),
    ...(options.hint !== undefined ? { hint: options.hint } : {}),
    kind: options.kind ?? 'io',
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
    ...(options.detail !== undefined ? { detail: options.detail } : {}),
  });
}

/** A URL as it may be shown to a user: origin and path, no query, no fragment, no userinfo. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export interface DistributionError {
  readonly code: string;
  readonly message: string;
}

/**
 * Parse an error body of the distribution spec. Untrusted input: anything that does not
 * have the expected shape yields an empty list. Codes are reduced to [A-Z0-9_] and
 * messages to printable ASCII, both truncated, so a registry cannot inject terminal
 * escapes or megabytes into our output.
 */
export function parseDistributionErrors(body: Uint8Array): DistributionError[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const errors = (parsed as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  const out: DistributionError[] = [];
  for (const e of errors.slice(0, 10)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (typeof code !== 'string') continue;
    const cleanCode = code.toUpperCase().replace(/[^A-Z0-9_]/g, '').slice(0, 64);
    if (!cleanCode) continue;
    out.push({ code: cleanCode, message: typeof message === 'string' ? printable(message, 200) : '' });
  }
  return out;
}

/** `MANIFEST_UNKNOWN` → `manifest-unknown`. */
export function kebabCode(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

export function printable(s: string, max: number): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

const HINTS: Readonly<Record<string, string>> = {
  UNAUTHORIZED: 'log in (docker login / podman login writes the auth file strata reads) or check the credentials for this registry',
  DENIED: 'the credentials are valid but lack access to this repository; check the repository name and your permissions',
  MANIFEST_UNKNOWN: 'check the tag or digest; `skopeo list-tags` shows what the repository has',
  NAME_UNKNOWN: 'check the repository name (REGISTRY/NAMESPACE/IMAGE)',
  BLOB_UNKNOWN: 'the registry lacks a blob the manifest references; push the image again',
  MANIFEST_BLOB_UNKNOWN: 'push every blob the manifest references before the manifest',
  DIGEST_INVALID: 'the uploaded bytes do not match their digest; the local copy may be corrupt (`strata fsck`)',
  TOOMANYREQUESTS: 'the registry rate-limits this client; wait and try again',
};

/** The StrataError for an HTTP error response, from its (already read, capped) body. */
export function httpStatusError(status: number, body: Uint8Array, where: string, what: string): StrataError {
  const errors = parseDistributionErrors(body);
  const first = errors[0];
  if (first) {
    const text = errors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ');
    return registryError(kebabCode(first.code), `${what} failed: ${text} (HTTP ${status})`, {
      where,
      hint: HINTS[first.code] ?? 'see the registry documentation for this error code',
      detail: { status, errors },
    });
  }
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'denied' : status === 404 ? 'not-found' : 'http-error';
  const hint =
    status === 401 ? HINTS.UNAUTHORIZED! : status === 403 ? HINTS.DENIED! : status === 404 ? 'check the registry, repository and reference' : 'the registry failed; try again later or check its logs';
  return registryError(code, `${what} failed: HTTP ${status}`, { where, hint, detail: { status } });
}
