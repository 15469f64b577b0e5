/**
 * The HTTP layer of the distribution client, on node:http/https (no SDK): one place that
 * decides the scheme (plain HTTP only for loopback registries or with `insecure`), adds
 * authorization (Basic, or Bearer tokens from the `WWW-Authenticate` challenge flow,
 * cached per scope), follows redirects by hand (bounded; Authorization is only ever sent
 * to the registry's own origin), retries 429/5xx and connection failures with backoff
 * (Retry-After honoured up to a cap) and aborts a request whose connection stays idle.
 *
 * The response body is handed back unread; readers in body.ts cap and verify it.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStrataError, type StrataError } from '../errors.js';
import { displayUrl, httpStatusError, registryError } from './errors.js';
import { parseChallenges, mergeScopes, type Challenge } from './challenge.js';
import { readCapped, readPrefix } from './body.js';
import { isLoopbackHost, apiHost } from './reference.js';
import type { Credentials } from './credentials.js';

/** A request body that can be produced again for a retry. */
export interface BodySource {
  readonly length: number;
  open(): AsyncIterable<Uint8Array>;
}

export type RequestBody = Uint8Array | BodySource;

export interface TransportOptions {
  /** Allow plain HTTP to a registry that is not on loopback. */
  readonly insecure?: boolean;
  /** Scheme to use; default http for loopback registries or with `insecure`, else https. */
  readonly scheme?: 'http' | 'https';
  /** Abort a request when its connection is idle this long (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** Retries after the first attempt for 429/5xx/connection failures (default 4). */
  readonly retries?: number;
  /** First backoff delay, doubled per retry (default 250 ms). */
  readonly retryBaseDelayMs?: number;
  /** Cap for a backoff delay and for Retry-After (default 10 s). */
  readonly retryMaxDelayMs?: number;
  /** Redirects followed per request (default 5). */
  readonly maxRedirects?: number;
  readonly credentials?: Credentials | undefined;
  readonly userAgent?: string;
  /** Extra CA certificates for https registries. */
  readonly ca?: string | Buffer;
  /** Observe every HTTP exchange (method, URL without query, status): for progress and tests. */
  readonly onExchange?: (e: { method: string; url: string; status: number }) => void;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** Token scopes this request needs, e.g. `repository:ns/img:pull`. */
  readonly scopes: readonly string[];
  /** Statuses the caller handles; anything else becomes a StrataError. */
  readonly ok: readonly number[];
  readonly followRedirects?: boolean;
  /** Set false for requests that must not be repeated (PATCH of an upload chunk). */
  readonly retry?: boolean;
  /** For messages: "GET manifest sha256:…". */
  readonly what: string;
}

export interface RegistryResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  /** Unread; the caller must consume or destroy it. */
  readonly body: http.IncomingMessage;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const TOKEN_RESPONSE_CAP = 1024 * 1024;

export class RegistryTransport {
  readonly registry: string;
  readonly origin: string;
  private readonly options: TransportOptions;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** What the registry asked for last: decides which Authorization we send up front. */
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private readonly tokens = new Map<string, CachedToken>();

  constructor(registry: string, options: TransportOptions = {}) {
    this.registry = registry;
    this.options = options;
    const loopback = isLoopbackHost(registry);
    const scheme = options.scheme ?? (loopback || options.insecure ? 'http' : 'https');
    if (scheme === 'http' && !loopback && !options.insecure) {
      throw registryError('insecure-registry', `refusing plain HTTP to ${registry}`, {
        where: registry,
        kind: 'input',
        hint: 'plain HTTP is only used for 127.0.0.1/localhost/[::1]; pass --insecure if you really mean it',
      });
    }
    this.origin = new URL(`${scheme}://${apiHost(registry)}`).origin;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, ...(options.ca ? { ca: options.ca } : {}) });
  }

  /** `/v2/...` on this registry. */
  url(pathAndQuery: string): URL {
    return new URL(pathAndQuery, this.origin);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Send with retries; returns a response whose status is in `req.ok`. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    const retries = req.retry === false ? 0 : (this.options.retries ?? 4);
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse;
      try {
        res = await this.sendFollowing(req);
      } catch (e) {
        if (attempt < retries && isRetryableFailure(e)) {
          await sleep(this.backoff(attempt, undefined));
          continue;
        }
        throw this.connectionError(e, req);
      }
      const s = res.status;
      if ((s === 429 || s >= 500) && !req.ok.includes(s) && attempt < retries) {
        const retryAfter = res.headers['retry-after'];
        await readPrefix(res.body);
        await sleep(this.backoff(attempt, retryAfter));
        continue;
      }
      if (!req.ok.includes(s)) {
        const body = req.method === 'HEAD' ? Buffer.alloc(0) : await readPrefix(res.body);
        if (req.method === 'HEAD') res.body.resume();
        throw httpStatusError(s, body, displayUrl(res.url), req.what);
      }
      return res;
    }
  }

  private backoff(attempt: number, retryAfter: string | undefined): number {
    const cap = this.options.retryMaxDelayMs ?? 10_000;
    if (retryAfter !== undefined) {
      const secs = /^[0-9]+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(secs)) return Math.max(0, Math.min(cap, secs));
    }
    const base = (this.options.retryBaseDelayMs ?? 250) * 2 ** attempt;
    return Math.min(cap, base * (0.5 + Math.random() / 2));
  }

  private connectionError(e: unknown, req: RegistryRequest): StrataError {
    if (isStrataError(e)) return e;
    const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    return registryError('connection-failed', `${req.what}: cannot talk to ${this.registry} (${code})`, {
      where: displayUrl(req.url),
      hint: 'check that the registry is running and reachable, and the host and port',
      cause: e,
    });
  }

  /** One logical request: re-authenticates once on 401, follows redirects when allowed. */
  private async sendFollowing(req: RegistryRequest): Promise<RegistryResponse> {
    let url = req.url;
    let redirects = 0;
    let reauthenticated = false;
    const max = this.options.maxRedirects ?? 5;
    for (;;) {
      this.checkUrlAllowed(url, req);
      const own = url.origin === this.origin;
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'strata', ...req.headers };
      if (own) {
        const authorization = this.authorizationFor(req.scopes);
        if (authorization) headers.authorization = authorization;
      }
      const res = await this.once(req.method, url, headers, req.body);
      this.options.onExchange?.({ method: req.method, url: displayUrl(url), status: res.statusCode ?? 0 });
      const status = res.statusCode ?? 0;
      if (status === 401 && own && !reauthenticated && !req.ok.includes(401)) {
        const header = res.headers['www-authenticate'];
        await readPrefix(res);
        reauthenticated = true;
        await this.authenticate(header, req, headers.authorization !== undefined);
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(status) && !req.ok.includes(status)) {
        const location = res.headers.location;
        await readPrefix(res);
        if (!req.followRedirects) {
          throw registryError('unexpected-redirect', `${req.what}: the registry answered a ${req.method} with a redirect (HTTP ${status})`, {
            where: displayUrl(url),
            kind: 'check',
            hint: 'only downloads follow redirects; check the registry URL',
          });
        }
        if (!location) throw registryError('bad-response', `${req.what}: redirect without a Location header (HTTP ${status})`, { where: displayUrl(url) });
        if (++redirects > max) {
          throw registryError('too-many-redirects', `${req.what}: more than ${max} redirects`, {
            where: displayUrl(req.url),
            hint: 'the registry or a proxy redirects in a loop; check its configuration',
          });
        }
        url = new URL(location, url);
        continue;
      }
      return { status, headers: res.headers, url, body: res };
    }
  }

  private checkUrlAllowed(url: URL, req: RegistryRequest): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && (isLoopbackHost(url.host) || this.options.insecure)) return;
    throw registryError(url.origin === this.origin ? 'insecure-registry' : 'insecure-redirect', `${req.what}: refusing ${url.protocol.replace(':', '')} URL ${displayUrl(url)}`, {
      where: displayUrl(req.url),
      kind: 'check',
      hint: 'only https is followed, and plain HTTP only to loopback; pass --insecure if you really mean it',
    });
  }

  private authorizationFor(scopes: readonly string[]): string | undefined {
    if (this.scheme === 'basic') return this.options.credentials?.basicAuthorization();
    if (this.scheme === 'bearer') {
      const t = this.tokens.get(scopeKey(scopes));
      if (t && t.expiresAt > Date.now()) return `Bearer ${t.token}`;
    }
    return undefined;
  }

  /** Answer a 401: learn the scheme and, for Bearer, fetch a token for the scopes. */
  private async authenticate(header: string | undefined, req: RegistryRequest, sentAuthorization: boolean): Promise<void> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = this.options.credentials;
    if (bearer) {
      this.scheme = 'bearer';
      await this.fetchToken(bearer, req);
      return;
    }
    if (basic) {
      if (!creds) {
        throw registryError('unauthorized', `${req.what}: ${this.registry} requires a login (HTTP 401)`, {
          where: displayUrl(req.url),
          hint: `log in first (podman login ${this.registry} or docker login ${this.registry}); strata reads their auth files`,
        });
      }
      if (sentAuthorization && this.scheme === 'basic') throw this.rejectedCredentials(req);
      this.scheme = 'basic';
      return;
    }
    throw registryError('unauthorized', `${req.what}: ${this.registry} refused the request (HTTP 401) without a usable authentication challenge`, {
      where: displayUrl(req.url),
      hint: 'the registry supports neither Basic nor Bearer authentication as strata speaks them',
    });
  }

  private rejectedCredentials(req: RegistryRequest): StrataError {
    const creds = this.options.credentials;
    return registryError('unauthorized', `${req.what}: ${this.registry} rejected the credentials${creds ? ` of user '${creds.username}' from ${creds.source}` : ''} (HTTP 401)`, {
      where: displayUrl(req.url),
      hint: `log in again (podman login ${this.registry}) or fix the auth file`,
    });
  }

  private async fetchToken(challenge: Challenge, req: RegistryRequest): Promise<void> {
    const realm = challenge.params.realm;
    if (!realm) throw registryError('bad-challenge', `${req.what}: Bearer challenge without a realm`, { where: displayUrl(req.url) });
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(realm);
    } catch {
      throw registryError('bad-challenge', `${req.what}: the Bearer realm is not a URL`, { where: displayUrl(req.url) });
    }
    const plainOk = tokenUrl.protocol === 'http:' && (isLoopbackHost(tokenUrl.host) || this.options.insecure);
    if (tokenUrl.protocol !== 'https:' && !plainOk) {
      throw registryError('insecure-realm', `${req.what}: refusing the token service at ${displayUrl(tokenUrl)}`, {
        where: displayUrl(req.url),
        kind: 'check',
        hint: 'token services must use https (plain HTTP only on loopback or with --insecure)',
      });
    }
    const scopes = mergeScopes(challenge.params.scope, req.scopes.join(' '));
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    for (const s of scopes) tokenUrl.searchParams.append('scope', s);
    const creds = this.options.credentials;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'strata', accept: 'application/json' };
    if (creds) headers.authorization = creds.basicAuthorization();
    const what = `token request to ${tokenUrl.host}`;
    const res = await this.once('GET', tokenUrl, headers, undefined);
    this.options.onExchange?.({ method: 'GET', url: displayUrl(tokenUrl), status: res.statusCode ?? 0 });
    const status = res.statusCode ?? 0;
    if (status === 401 || status === 403) {
      await readPrefix(res);
      if (creds) throw this.rejectedCredentials(req);
      throw registryError('unauthorized', `${req.what}: the token service refused anonymous access (HTTP ${status})`, {
        where: displayUrl(req.url),
        hint: `log in first (podman login ${this.registry} or docker login ${this.registry}); strata reads their auth files`,
      });
    }
    if (status !== 200) throw httpStatusError(status, await readPrefix(res), displayUrl(tokenUrl), what);
    const body = await readCapped(res, TOKEN_RESPONSE_CAP, displayUrl(tokenUrl), what, () =>
      registryError('bad-token-response', `${what}: response larger than ${TOKEN_RESPONSE_CAP} bytes`, { where: displayUrl(tokenUrl) }),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const p = (parsed ?? {}) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof p.token === 'string' && p.token ? p.token : typeof p.access_token === 'string' ? p.access_token : '';
    if (!token || !/^[\x21-\x7e]+$/.test(token)) {
      throw registryError('bad-token-response', `${what}: the response holds no usable token`, {
        where: displayUrl(tokenUrl),
        hint: 'the token service does not speak the distribution token protocol',
      });
    }
    const expiresIn = typeof p.expires_in === 'number' && p.expires_in > 0 ? p.expires_in : 60;
    // renew a little early so a token does not expire between check and use
    this.tokens.set(scopeKey(req.scopes), { token, expiresAt: Date.now() + Math.max(1, expiresIn - 10) * 1000 });
  }

  /** One HTTP exchange; resolves when the response headers arrive. */
  private once(method: string, url: URL, headers: Record<string, string>, body: RequestBody | undefined): Promise<http.IncomingMessage> {
    const idleMs = this.options.idleTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      const h: Record<string, string> = { ...headers };
      if (body !== undefined) h['content-length'] = String(body instanceof Uint8Array ? body.length : body.length);
      else if (method === 'PUT' || method === 'POST' || method === 'PATCH') h['content-length'] = '0';
      let response: http.IncomingMessage | undefined;
      const req = (isHttps ? https : http).request(url, { method, headers: h, agent: isHttps ? this.httpsAgent : this.httpAgent }, (res) => {
        response = res;
        resolve(res);
      });
      req.setTimeout(idleMs, () => {
        const err = registryError('idle-timeout', `${method} ${displayUrl(url)}: no data for ${idleMs} ms`, {
          where: displayUrl(url),
          hint: 'the registry or a proxy stalled; try again, or raise the timeout',
        });
        if (response) response.destroy(err);
        req.destroy(err);
      });
      req.on('error', (e) => {
        if (!response) reject(e);
      });
      if (body === undefined) req.end();
      else if (body instanceof Uint8Array) req.end(body);
      else {
        pipeline(Readable.from(body.open(), { objectMode: false }), req).catch((e: unknown) => {
          if (!response) {
            req.destroy();
            reject(e);
          }
        });
      }
    });
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function isRetryableFailure(e: unknown): boolean {
  if (isStrataError(e)) return e.code === 'registry/idle-timeout';
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}
