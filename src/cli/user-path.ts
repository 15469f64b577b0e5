import path from 'node:path';

/**
 * A path as the user should see it in messages: absolute paths as given, relative ones
 * resolved against the command's working directory and shown relative to the process's.
 */
export function userPath(cwd: string, p: string): string {
  return path.isAbsolute(p) ? p : path.relative(process.cwd(), path.resolve(cwd, p)) || '.';
}
