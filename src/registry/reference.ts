/**
 * Image references: `REGISTRY/NAMESPACE/IMAGE[:TAG][@sha256:HEX]`, with the Docker
 * defaults (no registry → docker.io; a single component on docker.io → library/NAME).
 * A first component is a registry when it contains '.' or ':' or is `localhost`.
 * Pure.
 */
import { registryError } from './errors.js';
import { isSha256Digest } from './content-digest.js';

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

const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;
const MAX_NAME = 255;

export const DOCKER_HUB = 'docker.io';

function bad(text: string, why: string): never {
  throw registryError('bad-reference', `invalid image reference '${text.length > 200 ? `${text.slice(0, 197)}...` : text}': ${why}`, {
    kind: 'input',
    hint: 'write REGISTRY/NAMESPACE/IMAGE[:TAG] or REGISTRY/NAMESPACE/IMAGE@sha256:<64 hex>, e.g. 127.0.0.1:5000/stagex/core-gcc:latest',
  });
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

function checkHost(text: string, host: string): string {
  if (!HOST_RE.test(host)) bad(text, `'${host}' is not a registry host[:port]`);
  const port = /:([0-9]+)$/.exec(host.replace(/^\[[^\]]*\]/, ''));
  if (port && (Number(port[1]) < 1 || Number(port[1]) > 65535)) bad(text, `port ${port[1]} is out of range`);
  const lower = host.toLowerCase();
  return lower === 'index.docker.io' || lower === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

function checkPath(text: string, path: string): void {
  if (!path) bad(text, 'the repository name is empty');
  if (path.length > MAX_NAME) bad(text, `the repository name is longer than ${MAX_NAME} characters`);
  for (const c of path.split('/')) {
    if (!COMPONENT_RE.test(c)) bad(text, `'${c}' is not a valid repository path component (lowercase letters, digits, '.', '_', '-')`);
  }
}

/** Split host from path with the Docker defaults. */
function splitHost(text: string, rest: string): { registry: string; path: string } {
  const slash = rest.indexOf('/');
  const first = slash < 0 ? rest : rest.slice(0, slash);
  if (slash >= 0 && looksLikeHost(first)) return { registry: checkHost(text, first), path: rest.slice(slash + 1) };
  return { registry: DOCKER_HUB, path: rest };
}

export function parseReference(text: string): ImageReference {
  let rest = text.trim();
  if (rest !== text || rest === '') bad(text, rest === '' ? 'it is empty' : 'it has surrounding whitespace');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isSha256Digest(digest)) bad(text, "the digest is not 'sha256:' followed by 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) bad(text, `'${tag}' is not a valid tag`);
  }
  const { registry, path } = splitHost(text, rest);
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  checkPath(text, repository);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Parse `REGISTRY/NAMESPACE` (the target of `publish --to`); the registry is required. */
export function parseRepositoryPrefix(text: string): RepositoryPrefix {
  const slash = text.indexOf('/');
  if (slash < 0 || !looksLikeHost(text.slice(0, slash))) {
    bad(text, 'expected REGISTRY/NAMESPACE with an explicit registry host, e.g. 127.0.0.1:5000/stagex');
  }
  const registry = checkHost(text, text.slice(0, slash));
  const namespace = text.slice(slash + 1).replace(/\/$/, '');
  checkPath(text, namespace);
  return { registry, namespace };
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

/** Is `s` a valid tag? */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** Throw `registry/bad-reference` unless `repository` is a valid repository path. */
export function requireRepository(repository: string): string {
  checkPath(repository, repository);
  return repository;
}

/** Throw `registry/bad-reference` unless `ref` is a tag or a sha256 digest. */
export function requireTagOrDigest(ref: string): string {
  if (isSha256Digest(ref) || TAG_RE.test(ref)) return ref;
  return bad(ref, 'expected a tag or a sha256 digest');
}
