/**
 * Reading compressed archives (ADD of local tarballs, foreign layers). Decompression only:
 * gzip via node's zlib (its output is the exact input bytes, so zlib's version does not
 * matter for reading), bzip2/xz/zstd via Debian's `bzip2`, `xz` and `zstd` binaries.
 * The format is detected from magic bytes, never from the file name.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { StrataError } from '../errors.js';
import { MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER_TAR, MEDIA_TYPE_LAYER_ZSTD } from '../oci/types.js';
import { zstdDecompress } from './zstd-decode.js';

export type ArchiveCompression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** Detect the compression from the first bytes; 'none' when no known magic matches. */
export function detectCompression(head: Uint8Array): ArchiveCompression {
  const starts = (...m: number[]): boolean => m.every((x, i) => head[i] === x);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  return 'none';
}

/** True when the bytes look like a tar header (ustar magic or a valid v7 checksum). */
export function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  const magic = new TextDecoder().decode(head.subarray(257, 262));
  if (magic === 'ustar') return true;
  const field = new TextDecoder().decode(head.subarray(148, 156)).replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i]!;
  return sum === parseInt(field, 8);
}

/**
 * zlib inflates in Node's thread pool, one output chunk per job. 1 MiB chunks (zlib's
 * default is 16 KiB) cut the per-job overhead; a readable buffer of 8 chunks lets zlib
 * keep inflating ahead while the consumer (the extractor's synchronous writes) works on
 * earlier chunks, instead of pausing after every chunk until it is read (ADR 0152).
 */
const GUNZIP_OPTIONS = { chunkSize: 1 << 20, readableHighWaterMark: 8 << 20 } as const;

/**
 * The gunzipped bytes of `src` (GUNZIP_OPTIONS); a failure of `src` surfaces as the
 * stream's error. A consumer that stops early (isTarArchive reads one header, a refused
 * layer entry) ends the gunzip stream; `src` is destroyed too, or a file behind it stays open.
 */
export async function* gunzipped(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip(GUNZIP_OPTIONS);
  const input = src instanceof Readable ? src : Readable.from(src);
  input.on('error', (e) => gunzip.destroy(e));
  try {
    yield* input.pipe(gunzip) as AsyncIterable<Uint8Array>;
  } finally {
    input.destroy();
  }
}

/**
 * The tar bytes of an OCI layer blob, by the layer's media type (tar, tar+gzip,
 * tar+zstd); undefined for any other media type (the caller says what it reads).
 * `label` names the layer in a zstd failure.
 */
export function layerTarBytes(blob: AsyncIterable<Uint8Array>, mediaType: string, label: string): AsyncIterable<Uint8Array> | undefined {
  if (mediaType === MEDIA_TYPE_LAYER_GZIP) return gunzipped(blob);
  if (mediaType === MEDIA_TYPE_LAYER_ZSTD) return zstdDecompress(blob, label);
  if (mediaType === MEDIA_TYPE_LAYER_TAR) return blob;
  return undefined;
}

const TOOL: Record<'bzip2' | 'xz' | 'zstd', string> = { bzip2: 'bzip2', xz: 'xz', zstd: 'zstd' };

export async function detectFileCompression(file: string): Promise<ArchiveCompression> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(8);
    await fh.read(head, 0, 8, 0);
    return detectCompression(head);
  } finally {
    await fh.close();
  }
}

/** The decompressed bytes of `file` as a stream. Errors of the decompressor surface as tar/decompress-failed. */
export async function* openDecompressed(file: string, compression?: ArchiveCompression): AsyncGenerator<Uint8Array> {
  const kind = compression ?? (await detectFileCompression(file));
  if (kind === 'none') {
    yield* createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>;
    return;
  }
  if (kind === 'gzip') {
    try {
      yield* gunzipped(createReadStream(file, { highWaterMark: 1 << 20 }));
    } catch (e) {
      throw failed(file, 'gzip', e instanceof Error ? e.message : String(e));
    }
    return;
  }
  const tool = TOOL[kind];
  const fh = await open(file, 'r');
  const child = spawn(tool, ['-dc'], { stdio: [fh.fd, 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  try {
    yield* child.stdout! as AsyncIterable<Uint8Array>;
    let code: number | null;
    try {
      code = await exited;
    } catch (e) {
      throw new StrataError('tar/decompress-failed', `${file}: cannot run '${tool}': ${e instanceof Error ? e.message : String(e)}`, {
        hint: `install Debian's ${tool === 'xz' ? 'xz-utils' : tool} package`,
        kind: 'input',
      });
    }
    if (code !== 0) throw failed(file, kind, stderr.trim().split('\n')[0] ?? `exit ${code}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await fh.close();
  }
}

function failed(file: string, kind: string, why: string): StrataError {
  return new StrataError('tar/decompress-failed', `${file}: ${kind} data is corrupt: ${why}`, {
    hint: 'the archive is damaged; fetch it again and check its sha256',
    kind: 'input',
  });
}
