/**
 * Reading zstd layers (ADR 0168): decompression need not be pinned — any correct decoder
 * gives back the exact tar bytes, and the diff_id check catches one that does not — so
 * the stream goes through the host's `zstd -dc` (Debian package zstd).
 */
import { spawn } from 'node:child_process';
import { StrataError } from '../errors.js';

/** The decompressed bytes of a zstd stream, through `zstd -dc`. `label` names the stream in errors. */
export async function* zstdDecompress(src: AsyncIterable<Uint8Array>, label: string, tool = 'zstd'): AsyncGenerator<Uint8Array> {
  const child = spawn(tool, ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      spawnError = e;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  // feed stdin concurrently; a closed pipe (decoder died) ends the feeding quietly
  child.stdin.on('error', () => undefined);
  let feedError: unknown;
  const feeding = (async () => {
    try {
      for await (const chunk of src) {
        if (child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) await new Promise<void>((r) => child.stdin.once('drain', r).once('close', r));
      }
    } catch (e) {
      feedError = e;
    } finally {
      child.stdin.end();
    }
  })();
  try {
    yield* child.stdout as AsyncIterable<Uint8Array>;
    const code = await exited;
    await feeding;
    if (feedError) throw feedError;
    if (spawnError) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new StrataError('tar/zstd-missing', `${label}: cannot run '${tool}' to read a zstd layer: ${spawnError.message}`, {
        hint: missing ? "install Debian's zstd package (apt-get install zstd)" : `check that '${tool}' runs`,
        kind: 'io',
      });
    }
    if (code !== 0) {
      throw new StrataError('tar/decompress-failed', `${label}: zstd data is corrupt: ${stderr.trim().split('\n')[0] || `zstd exited with ${code}`}`, {
        hint: "the blob is damaged; run 'strata fsck' and rebuild the image",
        kind: 'build',
      });
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
