/**
 * Test helper: a minimal distribution token service on 127.0.0.1. It signs RS256 JWTs
 * with a key whose self-signed certificate (made by `openssl` at test time) the registry
 * trusts through `rootcertbundle`; the certificate travels in the JWT's `x5c` header.
 * Known users get every action they ask for; anonymous requests are refused.
 */
import http from 'node:http';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certPem: string;
  /** Every token request: the scopes asked for and whether credentials came. */
  readonly requests: { scopes: string[]; user: string | undefined }[];
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An RSA key and self-signed certificate, generated with openssl. */
export function makeSigningCert(): { keyPem: string; certPem: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-token-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=strata-test-token'], { stdio: 'ignore' });
    return { keyPem: readFileSync(path.join(dir, 'key.pem'), 'utf8'), certPem: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTokenServer(users: Readonly<Record<string, string>>): Promise<TokenServer> {
  const { keyPem, certPem } = makeSigningCert();
  const certDer = new X509Certificate(certPem).raw;
  const service = 'strata-test-registry';
  const issuer = 'strata-test-issuer';
  const requests: { scopes: string[]; user: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (u !== undefined && users[u] !== undefined && users[u] === p.join(':')) user = u;
      else {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        requests.push({ scopes, user: undefined });
        return;
      }
    }
    requests.push({ scopes, user });
    if (!user) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"login required"}');
      return;
    }
    const access = scopes.map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop() ?? '';
      return { type, name: rest.join(':'), actions: actions.split(',').filter(Boolean) };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(keyPem);
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPem,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
