/** The one error for a --tree that is not a tree (the loader's and the CLI's early check). */
import { StrataError } from '../errors.js';

export function notATreeError(shown: string, what: string): StrataError {
  return new StrataError('tree/not-a-tree', what, {
    location: { file: shown },
    hint: 'point --tree at a directory holding packages/<stage>/<name>/',
  });
}
