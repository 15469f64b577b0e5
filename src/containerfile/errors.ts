/**
 * Error construction for the Containerfile front end. Every error is an input error
 * (exit 2) with a `containerfile/<kebab>` code, the exact line:col and a hint.
 */
import { StrataError } from '../errors.js';
import type { Loc } from './types.js';

export type ContainerfileErrorCode =
  | 'containerfile/bad-directive'
  | 'containerfile/duplicate-directive'
  | 'containerfile/unknown-instruction'
  | 'containerfile/onbuild-unsupported'
  | 'containerfile/unknown-flag'
  | 'containerfile/unsupported-flag'
  | 'containerfile/duplicate-flag'
  | 'containerfile/flag-missing-value'
  | 'containerfile/bad-flag-value'
  | 'containerfile/missing-argument'
  | 'containerfile/too-many-arguments'
  | 'containerfile/bad-stage-name'
  | 'containerfile/duplicate-stage-name'
  | 'containerfile/instruction-before-from'
  | 'containerfile/no-from'
  | 'containerfile/unterminated-heredoc'
  | 'containerfile/shell-not-json'
  | 'containerfile/missing-equals'
  | 'containerfile/empty-key'
  | 'containerfile/bad-healthcheck'
  | 'containerfile/bad-substitution'
  | 'containerfile/unterminated-quote'
  | 'containerfile/unset-variable'
  | 'containerfile/bad-platform';

export function containerfileError(
  code: ContainerfileErrorCode,
  message: string,
  file: string,
  loc: Loc | undefined,
  hint: string,
): StrataError {
  return new StrataError(code, message, {
    location: loc ? { file, line: loc.line, col: loc.col } : { file },
    hint,
    kind: 'input',
  });
}
