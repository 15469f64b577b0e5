/**
 * The build plan: images, their dependencies, levels and a stable topological order.
 * Pure data, produced by planTree() (src/plan/plan.ts).
 */
import type { SourceLocation } from '../errors.js';
import type { SourceDef } from '../tree/types.js';

/** One reference from a Containerfile to another image, with where it was written. */
export interface ImageReference {
  /** For tree images the image name (`core-zlib`); for external ones the whole ref. */
  readonly image: string;
  readonly location: SourceLocation;
  /** 'from' for FROM lines, 'copy' for COPY --from. */
  readonly via: 'from' | 'copy';
}

export interface PlannedImage {
  /** `<stage>-<name>` or `<stage>-<subpackage>`. */
  readonly name: string;
  readonly stage: string;
  /** The package id (`<stage>-<name>`) that produces this image. */
  readonly packageId: string;
  readonly version: string;
  /** `package-<sub>` for subpackages, else the last stage's name (undefined if unnamed). */
  readonly target: string | undefined;
  /** 0-based index of the target stage in the Containerfile. */
  readonly targetIndex: number;
  /** Images of this tree it needs, sorted, deduplicated. */
  readonly deps: readonly string[];
  /** Every reference to a tree image, in file order (for locations). */
  readonly references: readonly ImageReference[];
  /** References to images outside the tree (other namespaces/registries), in file order. */
  readonly external: readonly ImageReference[];
  readonly sources: readonly SourceDef[];
  /** 0 = no deps; else 1 + the highest level of its deps. */
  readonly level: number;
  /** Images of the plan that depend on this one directly, sorted. */
  readonly rdeps: readonly string[];
}

export interface Plan {
  readonly namespace: string;
  /** Sorted by name. */
  readonly images: readonly PlannedImage[];
  /** Topological order, ties broken by name. */
  readonly order: readonly string[];
  /** levels[i] = images of level i, sorted. */
  readonly levels: readonly (readonly string[])[];
}
