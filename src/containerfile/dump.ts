/**
 * A compact, stable JSON dump of a parsed Containerfile (used by the corpus tests and
 * handy for debugging): every `loc` becomes "line:col", undefined fields are left out,
 * `file` is dropped.
 */
import type { Containerfile } from './types.js';

export function dumpContainerfile(cf: Containerfile): unknown {
  const { file: _file, ...rest } = cf;
  void _file;
  return compact(rest);
}

function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o['line'] === 'number' && typeof o['col'] === 'number') return `${o['line']}:${o['col']}`;
    const out: Record<string, unknown> = {};
    for (const k of keys) if (o[k] !== undefined) out[k] = compact(o[k]);
    return out;
  }
  return v;
}
