/** Error helpers of the builder: every failure is a StrataError with a `build/…` code. */
import { StrataError, type FailureKind, type SourceLocation } from '../errors.js';

/** A failed build step (exit 1) unless `kind` says it is bad input (exit 2). */
export function buildError(code: string, message: string, hint: string, location?: SourceLocation, kind: FailureKind = 'build'): StrataError {
  return new StrataError(code, message, { hint, kind, ...(location ? { location } : {}) });
}

/** Bad input (exit 2): a Containerfile or context problem the user must fix. */
export function inputError(code: string, message: string, hint: string, location?: SourceLocation): StrataError {
  return buildError(code, message, hint, location, 'input');
}
