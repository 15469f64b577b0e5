/**
 * The loaded tree: strata.toml plus every packages/<stage>/<name>/ (DESIGN §2).
 *
 * Produced by loadTree() (src/tree/load.ts), consumed by the planner (src/plan/),
 * the source fetcher (src/source/) and the builder. Pure data: no I/O here.
 */
import type { SourceLocation, StrataError } from '../errors.js';
import type { Containerfile } from '../containerfile/types.js';

/** A binary seed declared in strata.toml: `seeds = [{ path = "…", sha256 = "…" }]`. */
export interface BinarySeed {
  /** Path relative to the tree root, as written. */
  readonly path: string;
  /** 64 lower-case hex digits. */
  readonly sha256: string;
  readonly location: SourceLocation;
}

/** strata.toml (every field optional in the file; defaults filled in here). */
export interface TreeConfig {
  /** Namespace images are referenced by: `<namespace>/<stage>-<name>`. Default 'stagex'. */
  readonly namespace: string;
  /** Default 1. */
  readonly sourceDateEpoch: number;
  /** Default 'linux/amd64'. */
  readonly platform: string;
  /** Extra mirror prefixes tried for every source (`<prefix>/<file>`), in order. */
  readonly mirrors: readonly string[];
  /** Signatures needed for quorum. Default 2. */
  readonly threshold: number;
  readonly seeds: readonly BinarySeed[];
  /** The strata.toml path as the user sees it, or undefined when the tree has none. */
  readonly file: string | undefined;
}

/** One `[sources.<id>]` table, with placeholders expanded. */
export interface SourceDef {
  /** The table key, e.g. 'zlib'. */
  readonly id: string;
  /** The source's own version, else the package version. */
  readonly version: string;
  /** Local file name (expanded); default: the last path segment of the first mirror. */
  readonly file: string;
  /** e.g. 'tar.gz'; undefined when neither written nor needed. */
  readonly format: string | undefined;
  /** sha256 of the downloaded file, 64 lower-case hex. */
  readonly hash: string;
  /** Expanded URLs, tried in order. */
  readonly mirrors: readonly string[];
  readonly gitSha: string | undefined;
  /** The `[sources.<id>]` header in package.toml. */
  readonly location: SourceLocation;
}

/**
 * An optional `[seed]` table (issue 6): the hex0 source of a hand-auditable seed,
 * decoded by strata into the build context. Only parsed and validated by the loader.
 */
export interface SeedDef {
  /** The commented hex file, relative to the package directory. */
  readonly source: string;
  /** sha256 of the decoded bytes, 64 lower-case hex. */
  readonly hash: string;
  /** The name under which the decoded bytes appear in the build context. */
  readonly file: string;
  /** A path in the built image that must be byte-identical to the seed. */
  readonly fixpoint: string | undefined;
  readonly location: SourceLocation;
}

export interface PackageDef {
  /** The directory under packages/, e.g. 'core'. */
  readonly stage: string;
  /** `[package] name`, which must equal the directory name. */
  readonly name: string;
  /** `<stage>-<name>`. */
  readonly id: string;
  /** Resolved version (after version_from). */
  readonly version: string;
  /** `version_from` as written ('<stage>-<name>'), if the package has one. */
  readonly versionFrom: string | undefined;
  readonly description: string | undefined;
  readonly license: string | undefined;
  readonly website: string | undefined;
  /** As declared; empty when the package produces one image of its own name. */
  readonly subpackages: readonly string[];
  /** Where each subpackage name is written in package.toml (for errors about it). */
  readonly subpackageLocations: Readonly<Record<string, SourceLocation>>;
  /** As declared, else [config.platform]. */
  readonly platforms: readonly string[];
  readonly sources: readonly SourceDef[];
  readonly seed: SeedDef | undefined;
  /** VERSION, VERSION_UNDER, …, <ID>_VERSION, <ID>_SOURCE, <ID>_GIT_SHA. Sorted keys. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The package directory as the user sees it. */
  readonly dir: string;
  /** package.toml as the user sees it. */
  readonly packageFile: string;
  /** Containerfile as the user sees it. */
  readonly containerfilePath: string;
  /** The parsed Containerfile (undefined only when loadTree was asked not to parse). */
  readonly containerfile: Containerfile | undefined;
}

export interface Tree {
  /** The root as given (used to build the paths errors show). */
  readonly root: string;
  readonly config: TreeConfig;
  /** Packages that loaded without error, sorted by id. */
  readonly packages: readonly PackageDef[];
  /**
   * Errors of packages that failed to load (only with keepGoing; without it the first
   * error is thrown). Those packages are absent from `packages`.
   */
  readonly errors: readonly StrataError[];
}
