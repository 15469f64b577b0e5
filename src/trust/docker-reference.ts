/**
 * Docker image references, normalised the way containers/image and docker/distribution
 * do (the "familiar" name rules), so `stagex/core-zlib:1.3.1`,
 * `docker.io/stagex/core-zlib:1.3.1` and `index.docker.io/stagex/core-zlib:1.3.1` are one
 * reference. Pure.
 *
 * Grammar (distribution/reference):
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host-component ["." host-component]* [":" port]
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*,  separator := [_.] | "__" | "-"+
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex{32,}
 * The first component is a domain only if it contains "." or ":", is "localhost", or has
 * upper-case letters; otherwise the domain is docker.io. On docker.io a one-component path
 * gets "library/". A bare 64-hex string is refused (it looks like an image id).
 */

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_MAX = 255;

const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;

export interface DockerReference {
  /** Registry host (and port), e.g. 'docker.io'. */
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
    if (!DIGEST_RE.test(digest)) throw new ReferenceSyntaxError(`invalid digest '${digest}'`);
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
  if (rest.length > NAME_TOTAL_MAX) throw new ReferenceSyntaxError(`repository name longer than ${NAME_TOTAL_MAX} characters`);

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(domain)) throw new ReferenceSyntaxError(`invalid registry host '${domain}'`);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path.toLowerCase() !== path) throw new ReferenceSyntaxError('repository name must be lower-case');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw new ReferenceSyntaxError(`invalid repository path component '${component}'`);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
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
