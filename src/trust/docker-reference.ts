/**
 * Docker image references: the one parser of strata (docs/adr/0176). The signature identity
 * (src/trust) and the distribution client (src/registry/reference.ts, which adds only what a
 * transfer needs) both parse with these rules. Pure.
 *
 * Grammar (distribution/reference, as containers/image uses it):
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [domain "/"] path-component ["/" path-component]*
 *   domain         := host [":" port]
 *   host           := domain-component ["." domain-component]* | "[" ipv6 "]"
 *   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   ipv6           := [a-fA-F0-9:]+      (no zone ids, no IPv4-mapped dotted form)
 *   port           := [0-9]+
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*,  separator := [_.] | "__" | "-"+
 *   tag            := [\w][\w.-]{0,127}
 *   digest         := algorithm ":" hex, checked as go-digest does: sha256, sha384 or
 *                     sha512 with exactly 64, 96 or 128 lower-case hex digits
 * Normalisation (ParseNormalizedNamed): the first component is a domain only if it contains
 * "." or ":", is "localhost", or has upper-case letters; otherwise the domain is docker.io.
 * "index.docker.io" is docker.io. On docker.io a one-component path gets "library/". The
 * normalised name (domain "/" path) is at most 255 characters. A bare 64-hex string is
 * refused (it looks like an image id).
 */

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_HOST = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6_HOST})(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** The grammar's digest shape; then the algorithm must be one go-digest knows. */
const DIGEST_SYNTAX_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;

export interface DockerReference {
  /** Registry host (and port) as written, except index.docker.io → docker.io. */
  readonly domain: string;
  /** Repository path without the domain, e.g. 'stagex/core-zlib' or 'library/busybox'. */
  readonly path: string;
  /** Undefined when the reference has no tag (a tag is not defaulted here). */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export class ReferenceSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceSyntaxError';
  }
}

/**
 * Split a name (no tag, no digest) into its explicit domain, if the first component is one,
 * and the rest — the grammar's rule for telling a registry host from a namespace.
 */
export function splitDomain(name: string): { domain: string | undefined; rest: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: undefined, rest: name };
  const first = name.slice(0, slash);
  if (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first) return { domain: undefined, rest: name };
  return { domain: first, rest: name.slice(slash + 1) };
}

/** Throw unless `domain` is a valid registry host[:port]; returns it with index.docker.io as docker.io. */
export function checkDomain(domain: string): string {
  if (!DOMAIN_RE.test(domain)) throw new ReferenceSyntaxError(`invalid registry host '${domain}'`);
  return domain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : domain;
}

/** Throw unless `path` is a valid repository path (lower-case components joined by '/'). */
export function checkRepositoryPath(path: string): void {
  if (path.length === 0) throw new ReferenceSyntaxError('missing repository name');
  if (path.toLowerCase() !== path) throw new ReferenceSyntaxError('repository name must be lower-case');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw new ReferenceSyntaxError(`invalid repository path component '${component}' (lower-case letters, digits, '.', '_', '-')`);
    }
  }
}

/** Throw unless the normalised name `domain/path` fits the grammar's 255 characters. */
export function checkNameLength(domain: string, path: string): void {
  if (domain.length + 1 + path.length > NAME_TOTAL_MAX) {
    throw new ReferenceSyntaxError(`repository name longer than ${NAME_TOTAL_MAX} characters (with its registry host)`);
  }
}

export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

/** Throw unless `digest` is a digest go-digest accepts: sha256/384/512 and lower-case hex of the right length. */
function checkDigest(digest: string): void {
  if (!DIGEST_SYNTAX_RE.test(digest)) throw new ReferenceSyntaxError(`invalid digest '${digest}'`);
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) throw new ReferenceSyntaxError(`unsupported digest algorithm '${algorithm}' (sha256, sha384 or sha512)`);
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    throw new ReferenceSyntaxError(`invalid digest '${digest}': ${algorithm} takes ${length} lower-case hex digits`);
  }
}

/** Parse and normalise a reference; throws ReferenceSyntaxError with a plain reason. */
export function parseNormalizedReference(input: string): DockerReference {
  if (input.length === 0) throw new ReferenceSyntaxError('empty reference');
  if (IMAGE_ID_RE.test(input)) {
    throw new ReferenceSyntaxError('a 64-hex string is an image id, not a repository name');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new ReferenceSyntaxError(`invalid tag '${tag}'`);
  }
  if (rest.length === 0) throw new ReferenceSyntaxError('missing repository name');
  const split = splitDomain(rest);
  const domain = split.domain === undefined ? DEFAULT_DOMAIN : checkDomain(split.domain);
  checkRepositoryPath(split.rest);
  const path = domain === DEFAULT_DOMAIN && !split.rest.includes('/') ? OFFICIAL_REPO_PREFIX + split.rest : split.rest;
  checkNameLength(domain, path);
  return { domain, path, tag, digest };
}

/** `domain/path[:tag][@digest]`, the fully qualified form. */
export function formatReference(r: DockerReference): string {
  return `${r.domain}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/**
 * The repository path strata expects for an image: `<namespace>/<image>`, normalised the
 * same way (so a namespace-less tree would compare as `library/<image>`).
 */
export function expectedRepositoryPath(namespace: string, image: string): string {
  return parseNormalizedReference(`${namespace}/${image}`).path;
}
