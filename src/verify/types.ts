/**
 * The result of comparing two images: plain data (strings and numbers only), so that it
 * is the `--json` output as it stands and the text renderer is a pure function of it.
 */

/** One image as the user named it. */
export interface ImageLabel {
  /** What the user typed (`core-zlib`, `oci:out:latest`) or what verify calls it. */
  readonly label: string;
  /** The platform manifest digest. */
  readonly digest: string;
}

/** One JSON field that differs; values are JSON text, absent on the side that lacks the field. */
export interface FieldDifference {
  /** e.g. `config.Env[2]`, `history[3].created_by`. */
  readonly path: string;
  readonly a?: string;
  readonly b?: string;
}

/** The file-level facts of one tar entry, as far as a comparison needs them. */
export interface EntrySummary {
  /** Normalised: no leading `./` or `/`, no trailing `/`. */
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly size: number;
  readonly mtime: number;
  /** Symlink target, or for hardlinks the (normalised) path linked to; '' otherwise. */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes: name → printable value (text as is, else `hex:…`). */
  readonly xattrs: Readonly<Record<string, string>>;
  /** PAX records other than the ones the fields above already carry (e.g. atime, ctime). */
  readonly pax: Readonly<Record<string, string>>;
  /** sha256 hex of the data, for regular files (hardlinks carry none). */
  readonly sha256?: string;
  /** A regular file of at most 64 KiB that looks like UTF-8 text (no NUL byte). */
  readonly text: boolean;
}

/** The entries of one layer in archive order, with what reading them showed. */
export interface LayerIndex {
  readonly entries: readonly EntrySummary[];
  /** Paths that occur more than once (the last occurrence is in `entries`). */
  readonly duplicates: readonly string[];
}

export type ChangedField =
  | 'type'
  | 'content'
  | 'size'
  | 'mode'
  | 'mtime'
  | 'uid'
  | 'gid'
  | 'uname'
  | 'gname'
  | 'link-target'
  | 'device'
  | 'xattrs'
  | 'pax';

export interface FieldChange {
  readonly field: ChangedField;
  /** Printable value on side A / B (mode in octal, content as sha256 hex). */
  readonly a: string;
  readonly b: string;
}

export interface TextDiff {
  /** Unified-diff lines (`@@ … @@`, ` x`, `-x`, `+x`), at most the cap. */
  readonly lines: readonly string[];
  /** True when lines were cut at the cap. */
  readonly truncated: boolean;
}

export interface PathDifference {
  readonly path: string;
  /** 'only-a' / 'only-b': present on one side only; 'changed': on both, fields differ. */
  readonly status: 'only-a' | 'only-b' | 'changed';
  /** The entry type on the side(s) that have it. */
  readonly typeA?: string;
  readonly typeB?: string;
  readonly changes: readonly FieldChange[];
  /** For small text files whose content differs. */
  readonly textDiff?: TextDiff;
}

export interface LayerSide {
  readonly mediaType: string;
  /** Blob digest (compressed bytes, as in the manifest). */
  readonly digest: string;
  readonly size: number;
  /** Digest of the uncompressed tar (config rootfs.diff_ids). */
  readonly diffId: string;
}

export type LayerStatus =
  /** Same blob. */
  | 'identical'
  /** Same uncompressed tar (diff_id), different compressed bytes or media type. */
  | 'recompressed'
  /** Different tar streams: see `paths`, `order`, `note`. */
  | 'different'
  | 'only-a'
  | 'only-b';

export interface LayerComparison {
  /** 0-based position in the manifest. */
  readonly index: number;
  readonly status: LayerStatus;
  readonly a?: LayerSide;
  readonly b?: LayerSide;
  /** Entry counts, when the layers were read. */
  readonly entriesA?: number;
  readonly entriesB?: number;
  /** Path differences, sorted by path, capped (see `omittedPaths`). */
  readonly paths?: readonly PathDifference[];
  readonly omittedPaths?: number;
  /** First place where the common entries come in a different order. */
  readonly order?: { readonly position: number; readonly a: string; readonly b: string };
  readonly duplicatesA?: readonly string[];
  readonly duplicatesB?: readonly string[];
  /** An explanation that is not a path difference (e.g. same entries, different encoding). */
  readonly note?: string;
}

export interface ImageComparison {
  readonly a: ImageLabel;
  readonly b: ImageLabel;
  /** True when the manifest digests are equal: nothing else is reported. */
  readonly identical: boolean;
  /** Manifest fields that differ, other than the config and layer digests/sizes. */
  readonly manifest: readonly FieldDifference[];
  readonly configDigest?: { readonly a: string; readonly b: string };
  /** Config fields that differ, other than rootfs.diff_ids (explained by `layers`). */
  readonly config: readonly FieldDifference[];
  readonly layerCount?: { readonly a: number; readonly b: number };
  /** Every layer position of either image, in order. */
  readonly layers: readonly LayerComparison[];
}
