/**
 * Image references as the distribution client uses them: `REGISTRY/NAMESPACE/IMAGE[:TAG][@sha256:HEX]`.
 * The syntax and the Docker defaults (no registry → docker.io; a single component on
 * docker.io → library/NAME; index.docker.io is docker.io) are the one parser's
 * (src/trust/docker-reference.ts, docs/adr/0176); this file adds only what a transfer
 * needs: a port a connection can use and a sha256 digest (the only content digest strata
 * fetches), and turns syntax errors into `registry/bad-reference` input errors. Pure.
 */
import { registryError } from './errors.js';
import { isSha256Digest } from './content-digest.js';
import {
  checkDomain,
  checkNameLength,
  checkRepositoryPath,
  DEFAULT_DOMAIN,
  isValidTag,
  parseNormalizedReference,
  ReferenceSyntaxError,
  splitDomain,
} from '../trust/docker-reference.js';

export interface ImageReference {
  /** Host as written, with port: `127.0.0.1:5000`, `[::1]:5000`, `docker.io`. */
  readonly registry: string;
  /** Repository path: `stagex/core-gcc`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `REGISTRY/NAMESPACE` as given to `--to`. */
export interface RepositoryPrefix {
  readonly registry: string;
  readonly namespace: string;
}

export const DOCKER_HUB = DEFAULT_DOMAIN;

function bad(text: string, why: string): never {
  throw registryError('bad-reference', `invalid image reference '${text.length > 200 ? `${text.slice(0, 197)}...` : text}': ${why}`, {
    kind: 'input',
    hint: 'write REGISTRY/NAMESPACE/IMAGE[:TAG] or REGISTRY/NAMESPACE/IMAGE@sha256:<64 hex>, e.g. 127.0.0.1:5000/stagex/core-gcc:latest',
  });
}

/** Run one of the grammar's checks, turning its syntax error into `registry/bad-reference`. */
function grammar<T>(text: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ReferenceSyntaxError) return bad(text, e.message);
    throw e;
  }
}

/** The transfer's own rule for a host the grammar accepted: a port a connection can use. */
function checkPort(text: string, registry: string): void {
  const port = /:([0-9]+)$/.exec(registry.replace(/^\[[^\]]*\]/, ''));
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) bad(text, `port ${port[1]} is out of range (1-65535)`);
}

export function parseReference(text: string): ImageReference {
  if (text.trim() !== text) bad(text, 'it has surrounding whitespace');
  const ref = grammar(text, () => parseNormalizedReference(text));
  checkPort(text, ref.domain);
  if (ref.digest !== undefined && !isSha256Digest(ref.digest)) {
    bad(text, `strata transfers images by sha256 digest only, not ${ref.digest.slice(0, ref.digest.indexOf(':'))}`);
  }
  return {
    registry: ref.domain,
    repository: ref.path,
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
}

/** Parse `REGISTRY/NAMESPACE` (the target of `publish --to`); the registry is required. */
export function parseRepositoryPrefix(text: string): RepositoryPrefix {
  const { domain, rest } = splitDomain(text.replace(/\/$/, ''));
  if (domain === undefined) {
    bad(text, 'expected REGISTRY/NAMESPACE with an explicit registry host, e.g. 127.0.0.1:5000/stagex');
  }
  const registry = grammar(text, () => checkDomain(domain));
  checkPort(text, registry);
  grammar(text, () => {
    checkRepositoryPath(rest);
    checkNameLength(registry, rest);
  });
  return { registry, namespace: rest };
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The host name without port or brackets, lowercased. */
export function hostName(registry: string): string {
  const m = /^\[([^\]]*)\](?::[0-9]+)?$/.exec(registry);
  if (m) return m[1]!.toLowerCase();
  return registry.replace(/:[0-9]+$/, '').toLowerCase();
}

/** 127.0.0.1 (any 127/8), localhost, ::1 — registries that may be spoken to in plain HTTP. */
export function isLoopbackHost(hostOrRegistry: string): boolean {
  const h = hostName(hostOrRegistry);
  return h === 'localhost' || h === '::1' || /^127(?:\.[0-9]{1,3}){3}$/.test(h);
}

/** Docker Hub's API lives on another host than its name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** Is `s` a valid tag? (The grammar's rule.) */
export { isValidTag };

/** Throw `registry/bad-reference` unless `repository` is a valid repository path. */
export function requireRepository(repository: string): string {
  grammar(repository, () => checkRepositoryPath(repository));
  return repository;
}

/** Throw `registry/bad-reference` unless `ref` is a tag or a sha256 digest. */
export function requireTagOrDigest(ref: string): string {
  if (isSha256Digest(ref) || isValidTag(ref)) return ref;
  return bad(ref, 'expected a tag or a sha256 digest');
}
