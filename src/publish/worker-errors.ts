/** Carrying a failure across a worker boundary: StrataErrors keep code, location, hint and kind. */
import { StrataError, isStrataError, type FailureKind, type SourceLocation } from '../errors.js';

export type SerializedError =
  | { readonly strata: true; readonly code: string; readonly message: string; readonly location?: SourceLocation; readonly hint?: string; readonly kind: FailureKind; readonly detail?: Record<string, unknown> }
  | { readonly strata: false; readonly message: string; readonly stack?: string };

export function serializeError(e: unknown): SerializedError {
  if (isStrataError(e)) {
    return {
      strata: true,
      code: e.code,
      message: e.message,
      kind: e.kind,
      ...(e.location ? { location: { ...e.location } } : {}),
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(e.detail ? { detail: plainDetail(e.detail) } : {}),
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { strata: false, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) };
}

export function deserializeError(s: SerializedError): Error {
  if (s.strata) {
    return new StrataError(s.code, s.message, {
      kind: s.kind,
      ...(s.location ? { location: s.location } : {}),
      ...(s.hint !== undefined ? { hint: s.hint } : {}),
      ...(s.detail ? { detail: s.detail } : {}),
    });
  }
  const err = new Error(s.message);
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}

/** Details are small records of strings and numbers; anything else is dropped rather than failing the clone. */
function plainDetail(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}
