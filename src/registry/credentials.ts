/**
 * Registry credentials from the files podman, skopeo and docker write:
 * `$REGISTRY_AUTH_FILE`, else `${XDG_RUNTIME_DIR}/containers/auth.json` and
 * `~/.config/containers/auth.json`; then `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`. Entries: `auths.<key>.auth` (base64 `user:password`) or
 * `username`/`password`. Keys may be `host`, `host/namespace[/…]` (most specific wins) or a
 * URL such as `https://index.docker.io/v1/`. Credential helpers (`credsStore`,
 * `credHelpers`) and identity tokens are not supported.
 *
 * A `Credentials` object never shows its password: not in JSON, not in util.inspect,
 * not in string conversion, and no error message built here contains one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import { registryError } from './errors.js';
import { DOCKER_HUB } from './reference.js';

export class Credentials {
  readonly username: string;
  readonly #password: string;
  /** The file the credentials came from, for messages (never the secret). */
  readonly source: string;

  constructor(username: string, password: string, source = 'options') {
    this.username = username;
    this.#password = password;
    this.source = source;
  }

  /** The only way to read the secret: the value of a Basic Authorization header. */
  basicAuthorization(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.#password}`, 'utf8').toString('base64')}`;
  }

  toJSON(): Record<string, string> {
    return { username: this.username, password: '<redacted>', source: this.source };
  }

  toString(): string {
    return `Credentials(${this.username}, <redacted>)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface CredentialEnvironment {
  readonly REGISTRY_AUTH_FILE?: string | undefined;
  readonly XDG_RUNTIME_DIR?: string | undefined;
  readonly DOCKER_CONFIG?: string | undefined;
  readonly HOME?: string | undefined;
}

/** The auth files consulted, in order. */
export function authFilePaths(env: CredentialEnvironment): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  else {
    if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
    if (env.HOME) files.push(path.join(env.HOME, '.config', 'containers', 'auth.json'));
  }
  if (env.DOCKER_CONFIG) files.push(path.join(env.DOCKER_CONFIG, 'config.json'));
  else if (env.HOME) files.push(path.join(env.HOME, '.docker', 'config.json'));
  return files;
}

/** Normalise an `auths` key to `host[/path]`. */
export function normaliseAuthKey(key: string): string {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
  k = k.replace(/\/v[12]$/, '');
  const slash = k.indexOf('/');
  const host = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : k.slice(slash);
  const h = host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
  return h + rest;
}

/** Line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function authFileError(file: string, message: string, text?: string, offset?: number) {
  const pos = text !== undefined && offset !== undefined ? lineCol(text, offset) : undefined;
  const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
  return registryError('bad-auth-file', message, {
    where,
    kind: 'input',
    hint: 'fix or remove the file (podman login / docker login rewrite it), or point REGISTRY_AUTH_FILE elsewhere',
  });
}

/**
 * The credentials an auth file's text holds for `registry`/`repository`: undefined when
 * it has no entry. Throws `registry/bad-auth-file` for malformed files. Pure.
 */
export function credentialsFromAuthText(text: string, file: string, registry: string, repository: string): Credentials | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    throw authFileError(file, 'the auth file is not valid JSON', text, m ? Number(m[1]) : undefined);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw authFileError(file, 'the auth file is not a JSON object');
  const auths = (parsed as { auths?: unknown }).auths;
  if (auths === undefined) return undefined;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw authFileError(file, "'auths' is not a JSON object");
  const byKey = new Map<string, unknown>();
  for (const [k, v] of Object.entries(auths as Record<string, unknown>)) byKey.set(normaliseAuthKey(k), v);
  const wanted = normaliseAuthKey(registry);
  const parts = repository.split('/');
  for (let n = parts.length; n >= 0; n--) {
    const key = n === 0 ? wanted : `${wanted}/${parts.slice(0, n).join('/')}`;
    if (!byKey.has(key)) continue;
    const entry = byKey.get(key);
    if (typeof entry !== 'object' || entry === null) throw authFileError(file, `the entry for '${key}' is not a JSON object`);
    const e = entry as { auth?: unknown; username?: unknown; password?: unknown };
    if (typeof e.auth === 'string' && e.auth !== '') {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw authFileError(file, `the 'auth' value for '${key}' is not base64 of 'user:password'`);
      return new Credentials(decoded.slice(0, colon), decoded.slice(colon + 1), file);
    }
    if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') {
      return new Credentials(e.username, e.password, file);
    }
    // an entry without usable secrets (e.g. only an identitytoken): keep looking
  }
  return undefined;
}

/** Look through the auth files in order; the first file with an entry wins. */
export async function loadCredentials(registry: string, repository: string, env: CredentialEnvironment): Promise<Credentials | undefined> {
  for (const file of authFilePaths(env)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw registryError('bad-auth-file', `cannot read the auth file: ${code ?? 'error'}`, {
        where: file,
        kind: 'input',
        hint: 'check the permissions of the file, or point REGISTRY_AUTH_FILE elsewhere',
      });
    }
    const found = credentialsFromAuthText(text, file, registry, repository);
    if (found) return found;
  }
  return undefined;
}
