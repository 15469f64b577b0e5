/**
 * Read one uncompressed layer stream into an index of its entries: headers kept, file
 * contents hashed and dropped, so memory grows with the number of entries, not their
 * size. Optionally keeps the bytes of a few named small files (for text diffs). The
 * stream is hashed as it is read, so the caller can check it against the diff_id.
 */
import { createHash } from 'node:crypto';
import { DigestCounter, type Digest } from '../digest/digest.js';
import { readTar, type ByteSource, type TarHeader } from '../tar/reader.js';
import { MAX_TEXT_BYTES, looksLikeText } from './text-diff.js';
import type { EntrySummary, LayerIndex } from './types.js';

/** PAX keys whose meaning the summary already carries in its own fields. */
const PAX_FIELDS = new Set(['path', 'linkpath', 'size', 'mtime', 'uid', 'gid', 'uname', 'gname']);

export interface IndexedLayer {
  readonly index: LayerIndex;
  /** sha256 of the whole uncompressed stream as read. */
  readonly diffId: Digest;
  /** Bytes of the requested paths that are regular files of at most 64 KiB. */
  readonly contents: ReadonlyMap<string, Uint8Array>;
}

/** `./a/b/`, `/a/b`, `a/b` → `a/b`; the root itself is `.`. */
export function normalizeEntryPath(name: string): string {
  let p = name;
  for (;;) {
    if (p.startsWith('./')) p = p.slice(2);
    else if (p.startsWith('/')) p = p.slice(1);
    else break;
  }
  p = p.replace(/\/+$/, '');
  return p === '' || p === '.' ? '.' : p;
}

function printable(v: Uint8Array): string {
  const s = Buffer.from(v).toString('utf8');
  if (!s.includes('\ufffd') && /^[\x20-\x7e]*$/.test(s)) return s;
  return `hex:${Buffer.from(v).toString('hex')}`;
}

function summarize(h: TarHeader, sha256: string | undefined, text: boolean): EntrySummary {
  const xattrs: Record<string, string> = {};
  for (const k of Object.keys(h.xattrs).sort()) xattrs[k] = printable(h.xattrs[k]!);
  const pax: Record<string, string> = {};
  for (const k of Object.keys(h.pax).sort()) {
    if (!PAX_FIELDS.has(k) && !k.startsWith('SCHILY.xattr.')) pax[k] = h.pax[k]!;
  }
  return {
    path: normalizeEntryPath(h.name),
    type: h.kind,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    size: h.size,
    mtime: h.mtime,
    linkname: h.kind === 'hardlink' ? normalizeEntryPath(h.linkname) : h.linkname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs,
    pax,
    ...(sha256 !== undefined ? { sha256 } : {}),
    text,
  };
}

/** Hashes every chunk that passes through. */
function hashing(src: ByteSource, counter: DigestCounter): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const c of src) {
        counter.update(c);
        yield c;
      }
    },
  };
}

/**
 * Index the entries of an uncompressed tar stream. `keep` names (normalised) paths whose
 * bytes to return when they are regular files of at most 64 KiB.
 */
export async function indexLayer(src: ByteSource, label: string, keep: ReadonlySet<string> = new Set()): Promise<IndexedLayer> {
  const counter = new DigestCounter();
  const entries: EntrySummary[] = [];
  const position = new Map<string, number>();
  const duplicates = new Set<string>();
  const contents = new Map<string, Uint8Array>();
  for await (const { header, body } of readTar(hashing(src, counter), label)) {
    let sha: string | undefined;
    let text = false;
    if (header.kind === 'file') {
      const h = createHash('sha256');
      const small = header.size <= MAX_TEXT_BYTES;
      const parts: Uint8Array[] = [];
      for await (const c of body) {
        h.update(c);
        if (small) parts.push(c);
      }
      sha = h.digest('hex');
      if (small) {
        const data = Buffer.concat(parts);
        text = looksLikeText(data);
        const p = normalizeEntryPath(header.name);
        if (keep.has(p)) contents.set(p, data);
      }
    }
    const s = summarize(header, sha, text);
    const prev = position.get(s.path);
    if (prev !== undefined) {
      duplicates.add(s.path);
      entries.splice(prev, 1);
      for (const [k, v] of position) if (v > prev) position.set(k, v - 1);
    }
    position.set(s.path, entries.length);
    entries.push(s);
  }
  return { index: { entries, duplicates: [...duplicates].sort() }, diffId: counter.digest(), contents };
}
