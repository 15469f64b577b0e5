/**
 * What goes into a tar layer: one TarEntry per path. The writer (writer.ts) turns a list
 * of entries into deterministic tar bytes after `prepareEntries` has normalised them.
 */

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque';

/** File content, read lazily so that a layer never has to be held in memory. */
export type ContentSource = () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface TarEntry {
  /**
   * Relative path inside the layer, '/'-separated, without a leading './' or '/' and
   * without a trailing '/'. For 'whiteout' the path that is deleted; for 'opaque' the
   * directory whose lower contents are hidden.
   */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (0..0o7777). Ignored for whiteouts. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Modification time in seconds since the epoch (fractions are dropped). */
  readonly mtime?: number;
  /** Regular files: the exact number of bytes `content` yields. */
  readonly size?: number;
  readonly content?: ContentSource;
  /** Symlink target (any string), or for 'hardlink' the path of the entry it links to. */
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extended attributes deliberately kept; written sorted as PAX SCHILY.xattr.*. */
  readonly xattrs?: Readonly<Record<string, Uint8Array>>;
  /**
   * Identity of the underlying inode (e.g. `${dev}:${ino}`) for regular files with
   * several links: all files sharing it become one file (the first path in sorted order)
   * plus hardlinks pointing at it.
   */
  readonly inode?: string;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** One entry after normalisation: everything the header encoder needs, nothing optional. */
export interface PreparedEntry {
  /** Name as written in the header: directories end with '/'. */
  readonly name: string;
  /** The sort key: the path without trailing '/'. */
  readonly path: string;
  readonly typeflag: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly size: number;
  readonly linkname: string;
  /** -1 when the entry is not a device (fields written as zeros). */
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: readonly (readonly [string, Uint8Array])[];
  readonly content: ContentSource | undefined;
}
