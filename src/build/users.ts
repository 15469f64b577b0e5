/**
 * USER and --chown: `uid[:gid]` numbers, or names looked up in the stage's own
 * /etc/passwd and /etc/group (never the host's).
 */
import { readFileSync } from 'node:fs';
import type { SourceLocation } from '../errors.js';
import { inputError } from './errors.js';
import { resolveInRoot, type SourceFs } from './layered-fs.js';

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

const MAX_ID = 65535;

function readTable(fs: SourceFs, file: string): string[][] {
  const n = fs.node(resolveInRoot(fs, file, true));
  if (!n || n.kind !== 'file') return [];
  return readFileSync(n.abs, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

function num(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * Resolve `user[:group]`. A user without a group takes the passwd entry's group for a
 * name, and for a number the passwd group if listed, else `defaultGid(uid)`.
 */
export function resolveIds(spec: string, fs: SourceFs, location: SourceLocation, what: string, defaultGid: (uid: number) => number): Ids {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const check = (id: number | undefined, name: string): number => {
    if (id === undefined || id > MAX_ID) {
      throw inputError('build/unknown-user', `${what} '${spec}': ${id === undefined ? `no user or group named '${name}' in the stage's /etc/passwd or /etc/group` : `id ${id} is above ${MAX_ID}`}`,
        'use numeric ids, or create the user in an earlier RUN', location);
    }
    return id;
  };
  if (userPart === '') throw inputError('build/unknown-user', `${what} '${spec}' names no user`, 'write USER uid[:gid] or a user name', location);
  let uid = num(userPart);
  let passwdGid: number | undefined;
  const passwd = uid === undefined || groupPart === undefined ? readTable(fs, '/etc/passwd') : [];
  const row = passwd.find((r) => (uid === undefined ? r[0] === userPart : num(r[2] ?? '') === uid));
  if (uid === undefined) uid = row ? num(row[2] ?? '') : undefined;
  uid = check(uid, userPart);
  if (row) passwdGid = num(row[3] ?? '');
  let gid: number | undefined;
  if (groupPart === undefined || groupPart === '') gid = passwdGid ?? defaultGid(uid);
  else {
    gid = num(groupPart);
    if (gid === undefined) {
      const g = readTable(fs, '/etc/group').find((r) => r[0] === groupPart);
      gid = g ? num(g[2] ?? '') : undefined;
    }
    gid = check(gid, groupPart);
  }
  return { uid, gid };
}
