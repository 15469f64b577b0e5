/**
 * Classify an expanded FROM / COPY --from image reference against the tree's namespace.
 * Pure. Docker Hub spellings are equivalent (`stagex/x` = `docker.io/stagex/x` =
 * `index.docker.io/library/…` rules as containers/image normalises them); a tag or digest
 * suffix is ignored for planning.
 */

export type ImageRef =
  | { readonly kind: 'scratch' }
  /** An image of this tree: `<namespace>/<image>`. */
  | { readonly kind: 'tree'; readonly image: string; readonly ref: string }
  /** Anything else: another namespace, another registry. Recorded for the audit. */
  | { readonly kind: 'external'; readonly ref: string };

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function classifyImageRef(ref: string, namespace: string): ImageRef {
  if (ref.toLowerCase() === 'scratch') return { kind: 'scratch' };
  let rest = ref;
  const at = rest.indexOf('@');
  if (at >= 0) rest = rest.slice(0, at);
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) rest = rest.slice(0, colon);
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOCKER_HUB.has(first.toLowerCase())) return { kind: 'external', ref };
    parts.shift();
  }
  const repo = parts.join('/');
  const prefix = `${namespace}/`;
  if (repo.startsWith(prefix)) {
    const image = repo.slice(prefix.length);
    if (image !== '' && !image.includes('/')) return { kind: 'tree', image, ref };
  }
  return { kind: 'external', ref };
}
