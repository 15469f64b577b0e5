/**
 * The one error base class of strata.
 *
 * Every failure a user can cause or meet is a StrataError with a stable `code`
 * (e.g. "containerfile/unknown-instruction"), an optional source location and a hint.
 * `format()` renders the single line the CLI prints:
 *
 *     file:line:col: message — hint
 *
 * Exit codes (DESIGN §6): input and usage errors exit 2, failed checks and failed
 * builds exit 1. Anything that is not a StrataError is an internal bug (exit 70).
 */

export interface SourceLocation {
  /** Path as the user should see it (relative to the tree where possible). */
  readonly file: string;
  /** 1-based line, if known. */
  readonly line?: number;
  /** 1-based column, if known. */
  readonly col?: number;
}

/** What kind of failure: decides the exit code. */
export type FailureKind = 'input' | 'check' | 'build' | 'io';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_INPUT = 2;
export const EXIT_INTERNAL = 70;

export interface StrataErrorOptions {
  readonly location?: SourceLocation;
  readonly hint?: string;
  readonly kind?: FailureKind;
  readonly cause?: unknown;
  /** Extra machine-readable detail for --json output. */
  readonly detail?: Record<string, unknown>;
}

export class StrataError extends Error {
  readonly code: string;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;
  readonly kind: FailureKind;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
    this.kind = options.kind ?? 'input';
    this.detail = options.detail;
  }

  get exitCode(): number {
    return this.kind === 'input' ? EXIT_INPUT : EXIT_CHECK_FAILED;
  }

  /** One line: `file:line:col: message — hint` (parts omitted when unknown). */
  format(): string {
    const where = formatLocation(this.location);
    const hint = this.hint ? ` — ${this.hint}` : '';
    return `${where ? `${where}: ` : ''}${this.message}${hint}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.col !== undefined) s += `:${loc.col}`;
  }
  return s;
}

/**
 * Several errors found in one pass (e.g. planning with --keep-going collects them).
 * Formats as one line per error; the exit code is the most severe of them.
 */
export class StrataErrors extends StrataError {
  readonly errors: readonly StrataError[];
  constructor(errors: readonly StrataError[]) {
    const first = errors[0];
    super(first?.code ?? 'multiple', `${errors.length} errors`, { kind: first?.kind ?? 'input' });
    this.errors = errors;
  }
  override get exitCode(): number {
    return this.errors.some((e) => e.exitCode === EXIT_INPUT) ? EXIT_INPUT : EXIT_CHECK_FAILED;
  }
  override format(): string {
    return this.errors.map((e) => e.format()).join('\n');
  }
}

export function isStrataError(e: unknown): e is StrataError {
  return e instanceof StrataError;
}
