/**
 * Fetch the bytes behind one URL (http, https or file) into a sink, and say plainly why
 * when that fails. No hashing here: the caller's sink does that (ADR 0031).
 *
 * Rules: redirects followed up to a bound (loops detected, only to http/https); only 2xx
 * bodies are taken; a body shorter than its Content-Length is a failure; no data for
 * `idleTimeoutMs` is a failure; a body larger than `maxBytes` is a failure. We ask for
 * `identity` encoding and never decode: the bytes hashed are the bytes sent.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { createReadStream, promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TransportOptions {
  /** Give up on a connection that sends nothing for this long (ms). */
  readonly idleTimeoutMs: number;
  /** Redirects followed before giving up. */
  readonly maxRedirects: number;
  /** Refuse bodies larger than this many bytes (undefined: no cap). */
  readonly maxBytes: number | undefined;
  /** Extra trusted CA certificates (PEM) for https, on top of node's bundled roots. */
  readonly ca?: string;
  /** Called with the size of every chunk received. */
  readonly onBytes?: (n: number) => void;
}

export type TransferResult =
  | { readonly ok: true; readonly bytes: number; readonly finalUrl: string }
  | { readonly ok: false; readonly reason: string };

export type Sink = (chunk: Uint8Array) => Promise<void>;

/** Raised inside a transfer; its message is the reason shown to the user. */
class TransferFailure extends Error {}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function fail(reason: string): never {
  throw new TransferFailure(reason);
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(s < 1 ? 2 : 1)} s`;
}

/** Fetch `url` into `sink`. Never throws for network or file problems: returns a reason. */
export async function transfer(url: string, sink: Sink, opts: TransportOptions): Promise<TransferResult> {
  try {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      fail('not a valid URL');
    }
    if (parsed.protocol === 'file:') {
      const bytes = await readFileUrl(parsed, sink, opts);
      return { ok: true, bytes, finalUrl: url };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`unsupported URL scheme '${parsed.protocol}'`);
    return await httpTransfer(parsed, sink, opts);
  } catch (e) {
    if (e instanceof TransferFailure) return { ok: false, reason: e.message };
    throw e;
  }
}

async function readFileUrl(url: URL, sink: Sink, opts: TransportOptions): Promise<number> {
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    fail('not a local file URL');
  }
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) fail('not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof TransferFailure) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(e)})`);
  }
  if (opts.maxBytes !== undefined && size > opts.maxBytes) fail(tooLarge(opts.maxBytes));
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      const b = chunk as Buffer;
      bytes += b.length;
      if (opts.maxBytes !== undefined && bytes > opts.maxBytes) fail(tooLarge(opts.maxBytes));
      opts.onBytes?.(b.length);
      await sink(b);
    }
  } catch (e) {
    if (e instanceof TransferFailure) throw e;
    fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return bytes;
}

function tooLarge(max: number): string {
  return `larger than the ${max}-byte limit`;
}

async function httpTransfer(start: URL, sink: Sink, opts: TransportOptions): Promise<TransferResult> {
  const visited = new Set<string>([start.href]);
  let current = start;
  for (let redirects = 0; ; redirects++) {
    const after = redirects > 0 ? ` (after redirect to ${current.href})` : '';
    const outcome = await oneRequest(current, sink, opts, after);
    if (outcome.kind === 'done') return { ok: true, bytes: outcome.bytes, finalUrl: current.href };
    // A redirect.
    if (outcome.location === undefined) fail(`HTTP ${outcome.status} redirect without a Location header${after}`);
    let next: URL;
    try {
      next = new URL(outcome.location, current);
    } catch {
      fail(`HTTP ${outcome.status} redirect to an invalid URL '${outcome.location}'${after}`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') fail(`redirect to unsupported scheme '${next.protocol}'${after}`);
    if (visited.has(next.href)) fail(`redirect loop (back to ${next.href})`);
    if (redirects + 1 > opts.maxRedirects) fail(`too many redirects (more than ${opts.maxRedirects})`);
    visited.add(next.href);
    current = next;
  }
}

type RequestOutcome =
  | { readonly kind: 'done'; readonly bytes: number }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string | undefined };

/** One GET: resolves with the body streamed into the sink, or a redirect to follow. */
function oneRequest(url: URL, sink: Sink, opts: TransportOptions, after: string): Promise<RequestOutcome> {
  return new Promise<RequestOutcome>((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    const settle = (f: () => void): void => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    const failWith = (reason: string): void => settle(() => reject(new TransferFailure(reason)));
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.get(url, {
      headers: { 'accept-encoding': 'identity', 'user-agent': 'strata' },
      agent: false,
      ...(url.protocol === 'https:' && opts.ca !== undefined ? { ca: [...tls.rootCertificates, opts.ca] } : {}),
    });
    req.setTimeout(opts.idleTimeoutMs, () => {
      timedOut = true;
      req.destroy(new Error('idle timeout'));
    });
    const idleReason = (): string => `no data for ${seconds(opts.idleTimeoutMs)} (idle timeout)${after}`;
    let responded = false;
    req.on('error', (e: NodeJS.ErrnoException) => {
      // Once the body is streaming, its reader reports the failure (with the byte count).
      if (responded) return;
      if (timedOut) failWith(idleReason());
      else failWith(`connection failed (${e.code ?? e.message})${after}`);
    });
    req.on('response', (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        res.resume();
        req.destroy();
        settle(() => resolve({ kind: 'redirect', status, location: res.headers.location }));
        return;
      }
      if (status < 200 || status > 299 || status === 204 || status === 206) {
        res.resume();
        req.destroy();
        failWith(`HTTP ${status}${after}`);
        return;
      }
      const lengthHeader = res.headers['content-length'];
      const declared = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      if (declared !== undefined && opts.maxBytes !== undefined && declared > opts.maxBytes) {
        req.destroy();
        failWith(`${tooLarge(opts.maxBytes)} (Content-Length ${declared})${after}`);
        return;
      }
      void (async () => {
        let bytes = 0;
        try {
          for await (const chunk of res) {
            const b = chunk as Buffer;
            bytes += b.length;
            if (opts.maxBytes !== undefined && bytes > opts.maxBytes) {
              req.destroy();
              return failWith(`${tooLarge(opts.maxBytes)}${after}`);
            }
            opts.onBytes?.(b.length);
            await sink(b);
          }
        } catch (e) {
          if (e instanceof TransferFailure) throw e;
          if (timedOut) return failWith(`${idleReason()} after ${bytes} bytes`);
          if (declared !== undefined && bytes < declared) return failWith(`truncated: got ${bytes} of ${declared} bytes${after}`);
          return failWith(`connection closed after ${bytes} bytes${after}`);
        }
        if (timedOut) return failWith(`${idleReason()} after ${bytes} bytes`);
        if (declared !== undefined && bytes !== declared) return failWith(`truncated: got ${bytes} of ${declared} bytes${after}`);
        if (!res.complete) return failWith(`connection closed after ${bytes} bytes${after}`);
        settle(() => resolve({ kind: 'done', bytes }));
      })().catch((e: unknown) => {
        req.destroy();
        settle(() => reject(e));
      });
    });
  });
}
