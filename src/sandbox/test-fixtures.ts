/**
 * Test fixtures made at test time (nothing binary is committed): a tiny root from the
 * host's static busybox, and a static i386 ELF assembled with the host binutils.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const HOST_BUSYBOX = '/bin/busybox';

const APPLETS = [
  'sh', 'ls', 'id', 'stat', 'mknod', 'mount', 'chown', 'chmod', 'touch', 'cat', 'echo', 'env', 'hostname',
  'nc', 'mkdir', 'rm', 'mv', 'ln', 'sleep', 'true', 'false', 'wc', 'umask', 'cp', 'printf', 'test', 'grep', 'unshare',
];

const created: string[] = [];

/** A fresh directory under the OS temp dir, removed by cleanupTempDirs(). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

/** Remove every directory tempDir() made (call from a test file's after hook). */
export function cleanupTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Fill `dir` with a busybox root: /bin/busybox, applet symlinks, /tmp (1777), /etc, /root. */
export function makeBusyboxRoot(dir: string): string {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  copyFileSync(HOST_BUSYBOX, path.join(dir, 'bin', 'busybox'));
  chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', path.join(dir, 'bin', a));
  for (const d of ['etc', 'root', 'tmp']) mkdirSync(path.join(dir, d), { mode: 0o755 });
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  return dir;
}

/** An overlay root: one busybox lower layer plus empty upper and work dirs. */
export function makeOverlayFixture(): { base: string; lower: string; upper: string; work: string } {
  const base = tempDir('strata-sbx-test-');
  const lower = makeBusyboxRoot(path.join(base, 'lower'));
  const upper = path.join(base, 'upper');
  const work = path.join(base, 'work');
  mkdirSync(upper);
  mkdirSync(work);
  return { base, lower, upper, work };
}

/** Assemble `body` (AT&T syntax, starting at _start) into a static i386 ELF with `as --32`/`ld -m elf_i386`. */
export function makeI386Program(outFile: string, body: readonly string[]): void {
  const dir = tempDir('strata-i386-');
  const src = path.join(dir, 'prog.s');
  writeFileSync(src, ['.globl _start', '.text', '_start:', ...body, ''].join('\n'));
  execFileSync('as', ['--32', '-o', path.join(dir, 'prog.o'), src]);
  execFileSync('ld', ['-m', 'elf_i386', '-static', '-o', outFile, path.join(dir, 'prog.o')]);
  chmodSync(outFile, 0o755);
}

/** A static i386 ELF that writes `message` to stdout and exits with `status`. */
export function makeI386Hello(outFile: string, message: string, status: number): void {
  const bytes = [...Buffer.from(message, 'utf8')].join(',');
  makeI386Program(outFile, [
    '  movl $4, %eax',
    '  movl $1, %ebx',
    '  movl $msg, %ecx',
    `  movl $${Buffer.byteLength(message)}, %edx`,
    '  int $0x80',
    '  movl $1, %eax',
    `  movl $${status}, %ebx`,
    '  int $0x80',
    '.data',
    `msg: .byte ${bytes}`,
  ]);
}

/** A static i386 ELF that calls unshare(CLONE_NEWUSER) and exits with the errno (0 on success). */
export function makeI386UnshareUser(outFile: string): void {
  makeI386Program(outFile, [
    '  movl $310, %eax',
    '  movl $0x10000000, %ebx',
    '  int $0x80',
    '  movl %eax, %ebx',
    '  negl %ebx',
    '  movl $1, %eax',
    '  int $0x80',
  ]);
}
