/**
 * Test support: run a bootstrap tool natively on this (x86-64 Linux) host, in a fresh
 * temporary directory, as `tool INPUT OUTPUT`. Binaries exist only there, never in the
 * repository.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NativeRun {
  readonly status: number | null;
  readonly output: Uint8Array | undefined;
  /** Permission bits of the output file. */
  readonly mode: number | undefined;
}

export function runTool(tool: Uint8Array, input: string | Uint8Array, args?: (inPath: string, outPath: string) => string[]): NativeRun {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-native-'));
  try {
    const exe = path.join(dir, 'tool');
    writeFileSync(exe, tool);
    chmodSync(exe, 0o700);
    const inPath = path.join(dir, 'input');
    const outPath = path.join(dir, 'output');
    writeFileSync(inPath, input);
    const r = spawnSync(exe, args ? args(inPath, outPath) : [inPath, outPath], { cwd: dir, timeout: 60_000, stdio: 'ignore' });
    let output: Uint8Array | undefined;
    let mode: number | undefined;
    try {
      output = new Uint8Array(readFileSync(outPath));
      mode = statSync(outPath).mode & 0o7777;
    } catch {
      output = undefined;
    }
    return { status: r.status, output, mode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const canRunNative = process.platform === 'linux' && process.arch === 'x64';
