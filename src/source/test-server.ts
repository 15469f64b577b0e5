/**
 * A misbehaving mirror for tests, on 127.0.0.1 and an ephemeral port. Routes:
 *   /good/<name>        the registered bytes for <name>
 *   /bad/<name>         other bytes (a hash mismatch)
 *   /404/<name>         404
 *   /500/<name>         500
 *   /truncated/<name>   declares the full length, sends half, closes the connection
 *   /redirect/<name>    302 → /good/<name>
 *   /relative/<name>    301 with a relative Location → ../good/<name>
 *   /chain/<n>/<name>   n redirects in a row, then /good/<name>
 *   /loop/a, /loop/b    redirect to each other forever
 *   /no-location/<x>    302 without Location
 *   /slow/<name>        sends the headers and 3 bytes, then nothing
 *   /chunked/<name>     the good bytes without Content-Length (chunked)
 *   /cut/<name>         chunked, 10 bytes, then the connection is closed
 *   /to-file/<x>        302 → file:///etc/passwd
 * Every request path is recorded in `hits`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestMirror {
  readonly base: string;
  readonly hits: string[];
  serve(name: string, bytes: Uint8Array): void;
  close(): Promise<void>;
}

export async function startTestMirror(): Promise<TestMirror> {
  const files = new Map<string, Uint8Array>();
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    const parts = url.split('/').slice(1);
    const route = parts[0] ?? '';
    const name = parts[parts.length - 1] ?? '';
    const body = files.get(name);
    const redirect = (code: number, to: string | undefined): void => {
      res.writeHead(code, to === undefined ? {} : { location: to });
      res.end();
    };
    switch (route) {
      case 'good':
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
        return void res.end(body);
      case 'bad': {
        const other = Buffer.from(`not the bytes of ${name}\n`);
        res.writeHead(200, { 'content-length': other.length });
        return void res.end(other);
      }
      case '404':
        return void res.writeHead(404).end('not found');
      case '500':
        return void res.writeHead(500).end('oops');
      case 'truncated': {
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          res.socket?.destroy();
        });
        return;
      }
      case 'redirect':
        return redirect(302, `/good/${name}`);
      case 'relative':
        return redirect(301, `../good/${name}`);
      case 'chain': {
        const n = Number(parts[1]);
        return redirect(302, n > 0 ? `/chain/${n - 1}/${name}` : `/good/${name}`);
      }
      case 'loop':
        return redirect(302, name === 'a' ? '/loop/b' : '/loop/a');
      case 'no-location':
        return redirect(302, undefined);
      case 'slow':
        res.writeHead(200, { 'content-length': 1000 });
        res.write('abc');
        return; // never ends; close() destroys the socket
      case 'chunked':
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200);
        res.write(body.subarray(0, 10));
        return void res.end(body.subarray(10));
      case 'cut':
        res.writeHead(200);
        res.write(Buffer.alloc(10, 1), () => {
          res.socket?.destroy();
        });
        return;
      case 'to-file':
        return redirect(302, 'file:///etc/passwd');
      default:
        return void res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    serve: (name, bytes) => void files.set(name, bytes),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
