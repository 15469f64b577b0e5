/**
 * Field-by-field difference of two JSON values (image configs, manifests). Objects are
 * compared member by member (keys in UTF-8 order), arrays position by position, so that
 * the report names exactly the field that differs: `config.Env[2]`, `history[0].created`.
 * Pure.
 */
import { canonicalJson, compareUtf8 } from '../oci/canonical-json.js';
import type { FieldDifference } from './types.js';

/** Values longer than this are cut in the report (with their length noted). */
export const MAX_VALUE_CHARS = 300;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text of a value for the report: canonical, cut at MAX_VALUE_CHARS. */
export function showJson(v: unknown): string {
  let s: string;
  try {
    s = canonicalJson(v);
  } catch {
    s = JSON.stringify(v) ?? 'undefined';
  }
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}… (${s.length} chars)` : s;
}

function join(path: string, key: string): string {
  const simple = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
  const part = simple ? key : JSON.stringify(key);
  if (path === '') return simple ? key : `[${part}]`;
  return simple ? `${path}.${key}` : `${path}[${part}]`;
}

/** Every leaf (or whole subtree present on one side) where `a` and `b` differ. */
export function diffJson(a: unknown, b: unknown, path = ''): FieldDifference[] {
  const out: FieldDifference[] = [];
  walk(a, b, path, out);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: FieldDifference[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path: path || '$', b: showJson(b) });
    return;
  }
  if (b === undefined) {
    out.push({ path: path || '$', a: showJson(a) });
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareUtf8);
    for (const k of keys) walk(a[k], b[k], join(path, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (!canonicalEq(a, b)) out.push({ path: path || '$', a: showJson(a), b: showJson(b) });
}

function canonicalEq(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}
