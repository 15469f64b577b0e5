/**
 * The sandbox's contracts with the build executor and the tar writer.
 */

/** The root file system of one RUN: an overlay of read-only layers plus a writable upper dir. */
export interface OverlayRoot {
  readonly kind: 'overlay';
  /** Extracted layer directories, base layer first (OCI manifest order). May be empty (FROM scratch). */
  readonly lowers: readonly string[];
  /** Writable upper directory: after the run it holds exactly the layer's changes. */
  readonly upper: string;
  /** overlayfs work directory: empty, on the same file system as `upper`. */
  readonly work: string;
}

/** A plain directory used as the root as-is (e.g. `strata run` on a kept stage root). */
export interface DirectoryRoot {
  readonly kind: 'directory';
  readonly dir: string;
}

export interface RunSpec {
  readonly root: OverlayRoot | DirectoryRoot;
  /** argv[0] is looked up in the sandbox PATH when it has no slash. */
  readonly argv: readonly string[];
  /** The complete environment of the command: nothing from the host is added. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory inside the sandbox; must exist in the root. Default '/'. */
  readonly cwd?: string;
  /** Container uid/gid (0–65535); the same numbers on disk. Default 0:0. */
  readonly uid?: number;
  readonly gid?: number;
  /** Default 'strata'. */
  readonly hostname?: string;
  /** Kill the whole sandbox (its pid namespace) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Share the host network (`--allow-network`). Default false: a private, empty network namespace. */
  readonly network?: boolean;
  /** Append stdout and stderr to this file. */
  readonly logFile?: string;
  /** Receive stdout/stderr chunks (in addition to logFile). */
  readonly onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Lower layers per overlay mount before lower layers are grouped into stacked overlays. Default 500. */
  readonly maxLowersPerMount?: number;
}

export interface RunResult {
  /** Exit status of the command (128+n when killed by signal n, as a shell reports it). */
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
}

export type FsEntryKind =
  | 'file'
  | 'dir'
  | 'symlink'
  /** A further path of a regular file already listed: `linkTarget` is the first path in sorted order. */
  | 'hardlink'
  | 'char'
  | 'block'
  | 'fifo'
  /** Deletion of `<dir>/<name>`: `path` is `<dir>/.wh.<name>`. */
  | 'whiteout'
  /** The directory `<dir>` replaces the lower one: `path` is `<dir>/.wh..wh..opq`. */
  | 'opaque';

/**
 * One entry of a layer's change list, as the tar writer consumes it. Paths are relative
 * (no leading '/' or './'), '/'-separated, no trailing slash; the list is sorted by whole
 * path compared as UTF-8 bytes and contains no `trusted.overlay.*` attribute.
 */
export interface FsEntry {
  readonly path: string;
  readonly kind: FsEntryKind;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777); 0 for whiteout/opaque. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content: regular files only, else 0. */
  readonly size: number;
  /** Modification time in whole seconds since the epoch (not yet clamped). */
  readonly mtime: number;
  /** Symlink target, or for 'hardlink' the path of the first link in sorted order. */
  readonly linkTarget?: string;
  /** Same number for every path of one multiply-linked regular file (files and hardlinks). */
  readonly hardlinkGroup?: number;
  readonly devMajor?: number;
  readonly devMinor?: number;
  /** Kept extended attributes, sorted by name (see ADR 0072). */
  readonly xattrs?: ReadonlyArray<readonly [string, Buffer]>;
  /** Where to read the content on disk (regular files). */
  readonly sourcePath?: string;
}
