/**
 * The doctor's `zstd` check (ADR 0156). strata writes zstd itself (ADR 0166) but reads it
 * through the host's `zstd -dc` (ADR 0168): stored zstd layers (`--layer-compression
 * zstd`) and ADDed .zst archives. Gzip-only trees never run it, so a missing `zstd` is a
 * warning — unless the tree or its store is seen to need it, then a failure:
 *
 * - a package source whose file name ends in .zst/.tzst (or whose format says zst);
 * - an ADD whose source word, as written, ends in .zst/.tzst;
 * - an image in the store with a tar+zstd layer.
 *
 * Names are a heuristic (ADD detects compression by the bytes): a zstd archive under another
 * name is only found when the ADD runs, which then says what to install.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseContainerfile } from '../containerfile/parser.js';
import { isDigest } from '../digest/digest.js';
import { ANNOTATION_REF_NAME, MEDIA_TYPE_LAYER_ZSTD } from '../oci/types.js';
import { blobPath, INDEX_FILE } from '../store/paths.js';
import { loadTree } from '../tree/load.js';
import type { DoctorCheck } from './doctor.js';

export const ZSTD_FIX = 'apt-get install zstd';

const ZSTD_NAME = /\.(t?zst)$/i;

/** Why the tree at `tree` or the store at `storeDir` needs the host zstd (empty: not seen to). */
export function zstdNeeds(tree: string | undefined, storeDir: string): string[] {
  return [...(tree === undefined ? [] : treeNeeds(tree)), ...storeNeeds(storeDir)];
}

function treeNeeds(tree: string): string[] {
  let packages;
  try {
    packages = loadTree(tree, { parse: parseContainerfile, keepGoing: true }).packages;
  } catch {
    return []; // not a tree (doctor may run anywhere); nothing known to need zstd
  }
  const out: string[] = [];
  for (const p of packages) {
    for (const s of p.sources) {
      if (ZSTD_NAME.test(s.file) || /zst/i.test(s.format ?? '')) out.push(`${p.id}: source ${s.id} (${s.file}) is zstd`);
    }
    for (const stage of p.containerfile?.stages ?? []) {
      for (const ins of stage.instructions) {
        if (ins.kind !== 'ADD') continue;
        for (const w of ins.sources) if (ZSTD_NAME.test(w)) out.push(`${p.containerfilePath}:${ins.loc.line}: ADD ${w}`);
      }
    }
  }
  return out;
}

/** Images of the store with a zstd layer, read without opening (so without creating) the store. */
function storeNeeds(storeDir: string): string[] {
  const json = (file: string): unknown => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  const index = json(path.join(storeDir, INDEX_FILE)) as { manifests?: unknown } | undefined;
  if (!Array.isArray(index?.manifests)) return [];
  const out: string[] = [];
  for (const m of index.manifests as Array<{ digest?: unknown; annotations?: Record<string, unknown> }>) {
    if (!isDigest(m?.digest)) continue;
    const manifest = json(blobPath(storeDir, m.digest)) as { layers?: unknown } | undefined;
    const layers = Array.isArray(manifest?.layers) ? (manifest.layers as Array<{ mediaType?: unknown }>) : [];
    if (layers.some((l) => l?.mediaType === MEDIA_TYPE_LAYER_ZSTD)) {
      const ref = m.annotations?.[ANNOTATION_REF_NAME];
      out.push(`store image ${typeof ref === 'string' ? ref : m.digest} has zstd layers`);
    }
  }
  return out;
}

/**
 * The check: ok when `tool -V` runs; otherwise required exactly when `needs` is not empty
 * (the first few reasons are named in the detail).
 */
export function zstdCheck(tool: string, needs: readonly string[]): DoctorCheck {
  const r = spawnSync(tool, ['-V'], { encoding: 'utf8' });
  if (r.status === 0) return { name: 'zstd', required: needs.length > 0, ok: true, detail: (r.stdout || r.stderr).trim().split('\n')[0] ?? 'zstd runs' };
  const found = r.error ? `${tool} not found` : `${tool} -V exited with ${r.status}`;
  const why = needs.length === 0
    ? 'needed only for zstd layers (--layer-compression zstd) and ADD of .zst archives'
    : `needed: ${needs.slice(0, 3).join('; ')}${needs.length > 3 ? `; and ${needs.length - 3} more` : ''}`;
  return { name: 'zstd', required: needs.length > 0, ok: false, detail: `${found}; ${why}`, fix: ZSTD_FIX };
}
