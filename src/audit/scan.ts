/**
 * The audit's I/O edge: list package directories, classify the files and cached source
 * archives that images take in, decode `[seed]` tables. Memory stays bounded: files and
 * archives are streamed, only the first bytes of each archive member are looked at.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { StrataError } from '../errors.js';
import { loadSeed } from '../bootstrap/seed.js';
import { hashFile, type SourceCache } from '../source/cache.js';
import { detectCompression, looksLikeTar, openDecompressed, type ArchiveCompression } from '../tar/decompress.js';
import { readTar } from '../tar/reader.js';
import type { PackageDef } from '../tree/types.js';
import { executableFormat, MAGIC_BYTES, TextCheck } from './content.js';
import type { RealNode } from './context.js';
import type { ContentClass, FileFacts, SeedFacts, SourceFacts } from './types.js';

/** How many executable members of one archive are named (all are counted). */
export const LISTED_EXECUTABLES = 5;

/** Every path under a package directory ('/'-separated, relative), with its kind. */
export async function listPackageDir(dir: string): Promise<Map<string, RealNode>> {
  const out = new Map<string, RealNode>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? dir : path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.set(r, { kind: 'dir' });
        await walk(r);
      } else if (e.isFile()) out.set(r, { kind: 'file' });
      else if (e.isSymbolicLink()) out.set(r, { kind: 'symlink', target: await readlink(path.join(dir, r)) });
      else out.set(r, { kind: 'other' });
    }
  };
  await walk('');
  return out;
}

/** An async byte stream with its first `n` bytes looked at and put back. */
async function peek(src: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    held.push(r.value);
    have += r.value.length;
  }
  const all = Buffer.concat(held);
  const stream = (async function* () {
    if (all.length > 0) yield all;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })();
  return { head: all.subarray(0, n), stream };
}

/** Look at the start of every member of a tar stream; members are drained, never held. */
export async function scanTarStream(stream: AsyncIterable<Uint8Array>, compression: ArchiveCompression, label: string): Promise<ContentClass> {
  const executables: { member: string; format: string }[] = [];
  let count = 0;
  let members = 0;
  try {
    for await (const entry of readTar(stream, label)) {
      members++;
      const head: Uint8Array[] = [];
      let have = 0;
      for await (const chunk of entry.body) {
        if (have < MAGIC_BYTES) {
          head.push(chunk.subarray(0, MAGIC_BYTES - have));
          have += Math.min(chunk.length, MAGIC_BYTES - have);
        }
      }
      if (entry.header.kind !== 'file') continue;
      const format = executableFormat(Buffer.concat(head), true);
      if (format) {
        count++;
        if (executables.length < LISTED_EXECUTABLES) executables.push({ member: entry.header.name, format });
      }
    }
  } catch (e) {
    if (e instanceof StrataError) return { kind: 'unreadable', message: e.message };
    throw e;
  }
  return { kind: 'archive', compression, members, executables, executableCount: count };
}

/** Classify a stream of content (already decompressed) by the ADR 0111 rule. */
async function classifyStream(src: AsyncIterable<Uint8Array>, compression: ArchiveCompression, label: string): Promise<ContentClass> {
  const { head, stream } = await peek(src, 512);
  if (looksLikeTar(head)) return scanTarStream(stream, compression, label);
  const format = executableFormat(head);
  if (format) {
    for await (const _ of stream) { /* drain (lets a decompressor finish) */ }
    return { kind: 'executable', format: compression === 'none' ? format : `${compression}-compressed ${format}` };
  }
  const text = new TextCheck();
  for await (const chunk of stream) text.push(chunk);
  return text.finish() ? { kind: 'text' } : { kind: 'binary' };
}

async function readHead(file: string, n: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The content class of a file: decompressed first when it starts with a compression magic. */
export async function classifyContent(file: string, label: string): Promise<ContentClass> {
  const compression = detectCompression(await readHead(file, 8));
  if (compression === 'none') return classifyStream(createReadStream(file, { highWaterMark: 256 * 1024 }), 'none', label);
  try {
    return await classifyStream(openDecompressed(file, compression), compression, label);
  } catch (e) {
    if (e instanceof StrataError) return { kind: 'unreadable', message: e.message };
    throw e;
  }
}

/** sha256, size and content class of a context file. */
export async function fileFacts(file: string, label: string): Promise<FileFacts> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size, content: await classifyContent(file, label) };
}

/** A declared source as the cache holds it: missing, corrupt, or its content class. */
export async function sourceFacts(cache: SourceCache, hash: string, label: string): Promise<SourceFacts> {
  if (!(await cache.has(hash))) return { state: 'missing' };
  const file = cache.path(hash);
  const actual = await hashFile(file);
  if (actual.hash !== hash) return { state: 'corrupt', actual: actual.hash };
  return { state: 'cached', size: actual.bytes, content: await classifyContent(file, label) };
}

/** Decode a package's `[seed]` with strata's hex0 reader; a hash mismatch is a fact, bad input throws. */
export async function seedFacts(pkg: PackageDef): Promise<SeedFacts> {
  try {
    const seed = await loadSeed(pkg.dir);
    if (!seed) throw new Error(`audit: ${pkg.id} has no [seed]`);
    return { ok: true, sourceFile: path.join(pkg.dir, seed.spec.source), bytes: seed.bytes.length, sha256: seed.spec.hash };
  } catch (e) {
    if (e instanceof StrataError && e.kind === 'check') return { ok: false, message: e.message, location: e.location, hint: e.hint };
    throw e;
  }
}

/** Whether a path exists as a regular file (for declared binary seeds). */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isFile();
  } catch {
    return false;
  }
}
