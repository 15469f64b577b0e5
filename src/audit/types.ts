/**
 * The audit's data: what an image takes in (inputs), what the edge found out about those
 * inputs (facts), and the answer per image (verdicts). Pure data: no I/O here.
 *
 * Flow (docs/adr/0110): inputs.ts reads the Containerfile AST and a listing of each
 * package directory → ImageInputs; scan.ts (the only I/O) classifies the files and
 * source archives the inputs name → AuditFacts; evaluate.ts turns both into Verdicts.
 */
import type { SourceLocation } from '../errors.js';
import type { SourceDef } from '../tree/types.js';

/** How a piece of content was brought into a stage. */
export type Via = 'FROM' | 'COPY' | 'ADD' | 'COPY --from';

/** One thing an image's build reads that is not produced inside the same Containerfile. */
export type ImageInput =
  /** An image of this tree (FROM / COPY --from `<namespace>/<image>`). */
  | { readonly kind: 'tree-image'; readonly image: string; readonly via: Via; readonly location: SourceLocation }
  /** An image from another namespace or registry. */
  | { readonly kind: 'external-image'; readonly ref: string; readonly via: Via; readonly location: SourceLocation }
  /** `ADD <url>`: fetched at build time, not a declared, hash-pinned source. */
  | { readonly kind: 'url'; readonly url: string; readonly location: SourceLocation }
  /** A regular file of the package directory. */
  | {
      readonly kind: 'context-file';
      /** The path relative to the package directory. */
      readonly rel: string;
      /** The path as the user sees it (package directory + rel). */
      readonly display: string;
      /** `packages/<stage>/<name>/<rel>`: what strata.toml `seeds` paths are compared with. */
      readonly treePath: string;
      readonly via: Via;
      readonly location: SourceLocation;
    }
  /** A declared source (`fetch/<file>` in the context). */
  | { readonly kind: 'source'; readonly source: SourceDef; readonly via: Via; readonly location: SourceLocation }
  /** The decoded `[seed]` of the package (its `file` in the context). */
  | { readonly kind: 'seed'; readonly packageId: string; readonly via: Via; readonly location: SourceLocation };

/** The inputs of one image, in Containerfile order, deduplicated. */
export interface ImageInputs {
  readonly name: string;
  readonly packageId: string;
  readonly inputs: readonly ImageInput[];
}

/** What the content of a file (or a decompressed stream) is, for the audit's rule (ADR 0111). */
export type ContentClass =
  /** No NUL or other control byte text never uses (ADR 0111): readable source. */
  | { readonly kind: 'text' }
  /** A known executable or object format (by magic bytes). */
  | { readonly kind: 'executable'; readonly format: string }
  /** Anything else that is not text. */
  | { readonly kind: 'binary' }
  /** A tar archive (maybe compressed), every member's start inspected. */
  | {
      readonly kind: 'archive';
      readonly compression: string;
      readonly members: number;
      /** Members with an executable format, the first few (see `executableCount`). */
      readonly executables: readonly { readonly member: string; readonly format: string }[];
      readonly executableCount: number;
    }
  /** Could not be read to the end (corrupt archive, failing decompressor). */
  | { readonly kind: 'unreadable'; readonly message: string };

/** A file of a package directory that some image takes in. */
export interface FileFacts {
  readonly sha256: string;
  readonly size: number;
  readonly content: ContentClass;
}

/** A declared source, as found in the source cache. */
export type SourceFacts =
  | { readonly state: 'missing' }
  /** The cached bytes no longer hash to the declared sha256. */
  | { readonly state: 'corrupt'; readonly actual: string }
  | { readonly state: 'cached'; readonly size: number; readonly content: ContentClass };

/** A `[seed]` table, decoded by strata's hex0 reader. */
export type SeedFacts =
  | {
      readonly ok: true;
      /** The hex0 source as the user sees it. */
      readonly sourceFile: string;
      readonly bytes: number;
      readonly sha256: string;
    }
  | { readonly ok: false; readonly message: string; readonly location: SourceLocation | undefined; readonly hint: string | undefined };

/** A binary seed declared in strata.toml (checked to exist by the edge). */
export interface BinarySeedFacts {
  /** As written in strata.toml (relative to the tree root). */
  readonly path: string;
  /** The declared sha256. */
  readonly sha256: string;
  readonly location: SourceLocation;
}

export interface AuditFacts {
  /** Keyed by the file's display path (ImageInput 'context-file' `display`). */
  readonly files: ReadonlyMap<string, FileFacts>;
  /** Keyed by source hash. */
  readonly sources: ReadonlyMap<string, SourceFacts>;
  /** Keyed by package id. */
  readonly seeds: ReadonlyMap<string, SeedFacts>;
  /** Keyed by the normalised tree-relative path. */
  readonly binarySeeds: ReadonlyMap<string, BinarySeedFacts>;
}

/** Why an image is not bootstrapped. */
export interface Reason {
  readonly code:
    | 'binary-from-context'
    | 'external-image'
    | 'url'
    | 'prebuilt-in-source'
    | 'binary-source'
    | 'not-fetched'
    | 'corrupt-source'
    | 'unreadable'
    | 'seed-mismatch'
    | 'binary-seed-mismatch'
    | 'dependency';
  readonly message: string;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;
  /** For 'dependency': the image depended on. */
  readonly dependency?: string;
}

/** A root an image descends from. */
export type SeedRoot =
  | { readonly kind: 'seed'; readonly packageId: string; readonly sourceFile: string; readonly bytes: number; readonly sha256: string }
  | { readonly kind: 'binary-seed'; readonly path: string; readonly bytes: number; readonly sha256: string };

/** One step of the chain from an image back to its root or to the offending input. */
export type TraceStep =
  | { readonly kind: 'image'; readonly name: string }
  /** The reference by which the previous image takes in the next one. */
  | { readonly kind: 'dependency'; readonly image: string; readonly via: Via; readonly location: SourceLocation }
  | { readonly kind: 'root'; readonly root: SeedRoot; readonly via: Via; readonly location: SourceLocation }
  | { readonly kind: 'offending'; readonly reason: Reason }
  /** A root image that descends from no seed but takes in nothing that is not text (ADR 0112). */
  | { readonly kind: 'text-only' };

export interface Verdict {
  readonly name: string;
  readonly bootstrapped: boolean;
  /** Empty when bootstrapped. Own reasons first (Containerfile order), then dependencies. */
  readonly reasons: readonly Reason[];
  /** From this image back to a seed, or to the first offending input. */
  readonly path: readonly TraceStep[];
  /** Every seed this image descends from, sorted. */
  readonly roots: readonly SeedRoot[];
}
