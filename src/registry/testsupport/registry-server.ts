/**
 * Test helper: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 on a free port,
 * filesystem storage in a temp dir, optionally behind htpasswd basic auth or token auth.
 * The registry binds port 0 and we read the port from its "listening on" log line, so
 * there is no race for a port. `stop()` kills it by pid; a process exit hook does too,
 * so a failing test never leaves a registry running.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';

export interface RegistryAuthHtpasswd {
  readonly htpasswd: { readonly user: string; readonly password: string };
}
export interface RegistryAuthToken {
  readonly token: { readonly realm: string; readonly service: string; readonly issuer: string; readonly certPem: string };
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of running) {
      try {
        if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** A bcrypt htpasswd line from apache2-utils' htpasswd (cost 4: fast, for tests only). */
export function htpasswdLine(user: string, password: string): string {
  return execFileSync('htpasswd', ['-Bbn', '-C', '4', user, password], { encoding: 'utf8' }).trim();
}

export async function startRegistry(auth?: RegistryAuthHtpasswd | RegistryAuthToken): Promise<RunningRegistry> {
  hookExit();
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-registry-'));
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(path.join(dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: strata-test-secret',
  ];
  if (auth && 'htpasswd' in auth) {
    const file = path.join(dir, 'htpasswd');
    writeFileSync(file, `${htpasswdLine(auth.htpasswd.user, auth.htpasswd.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: strata-test', `    path: ${JSON.stringify(file)}`);
  } else if (auth && 'token' in auth) {
    const file = path.join(dir, 'token-ca.pem');
    writeFileSync(file, auth.token.certPem);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(auth.token.realm)}`,
      `    service: ${JSON.stringify(auth.token.service)}`,
      `    issuer: ${JSON.stringify(auth.token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(file)}`,
    );
  }
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    running.delete(child);
    resolve();
  }));
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // gone
      }
      const t = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 3000);
      await exitedPromise;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        output += d.toString('utf8');
        if (output.length > 1_000_000) output = output.slice(-500_000);
        const m = /listening on 127\.0\.0\.1:([0-9]+)/.exec(output);
        if (m) resolve(Number(m[1]));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      void exitedPromise.then(() => reject(new Error(`docker-registry exited early:\n${output}`)));
      setTimeout(() => reject(new Error(`docker-registry did not start:\n${output}`)), 20_000).unref();
    });
    await waitForV2(port);
    return { host: `127.0.0.1:${port}`, port, dir, log: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitForV2(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/v2/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
    });
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('docker-registry never answered /v2/');
}
