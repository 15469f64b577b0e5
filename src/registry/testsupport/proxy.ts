/**
 * Test helper: an HTTP proxy on 127.0.0.1 in front of a registry. It records every
 * request (to count uploads) and lets a test replace or alter any response (to tamper).
 * The Host header is passed through unchanged, so the registry's Location headers point
 * back at the proxy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Return true when the rule answered the request itself. `upstream()` forwards the
 * request and returns the registry's whole response, for rules that alter it.
 */
export type ProxyRule = (req: SeenRequest, res: http.ServerResponse, upstream: () => Promise<UpstreamResponse>) => boolean | Promise<boolean>;

export interface RunningProxy {
  readonly host: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  rule: ProxyRule | undefined;
  stop(): Promise<void>;
}

function forward(targetPort: number, req: SeenRequest, body: Buffer): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, resolve);
    up.on('error', reject);
    up.end(body);
  });
}

export async function startProxy(targetPort: number): Promise<RunningProxy> {
  const state: { rule: ProxyRule | undefined } = { rule: undefined };
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
        requests.push(seen);
        const body = Buffer.concat(chunks);
        const upstream = async (): Promise<UpstreamResponse> => {
          const r = await forward(targetPort, seen, body);
          const parts: Buffer[] = [];
          for await (const c of r as AsyncIterable<Buffer>) parts.push(c);
          return { status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) };
        };
        if (state.rule && (await state.rule(seen, res, upstream))) return;
        const r = await forward(targetPort, seen, body);
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    get rule() {
      return state.rule;
    },
    set rule(r: ProxyRule | undefined) {
      state.rule = r;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A server on another 127.0.0.1 port (another origin) that records headers and answers with `respond`. */
export async function startRecorder(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ origin: string; requests: SeenRequest[]; stop(): Promise<void> }> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    req.resume();
    respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
