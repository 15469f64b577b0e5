/**
 * Compare two flattened images — one built by strata, one by buildah — path by path:
 * kind, mode, owner, size, content, link target, device numbers and hardlink sets; and the
 * runtime config fields. Mtimes are not compared (buildah --timestamp 0 writes 0, strata
 * SOURCE_DATE_EPOCH), nor blob digests. Exactly the additions buildah 1.28 is known to
 * make (docs/adr/0130) are ignored, and only when they look exactly as buildah makes them.
 */
import type { FlatEntry, FlatImage, RuntimeFields } from './flatten.js';

/** Empty files buildah's RUN leaves behind as bind-mount targets. */
export const BUILDAH_MOUNT_FILES: readonly string[] = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];
/** Empty directories buildah's RUN leaves behind as mount points (and each VOLUME path). */
export const BUILDAH_MOUNT_DIRS: readonly string[] = ['dev', 'proc', 'run', 'sys'];
/** The config label buildah adds. */
export const BUILDAH_LABEL = 'io.buildah.version';

export interface PathDifference {
  readonly path: string;
  /** 'strata-only', 'buildah-only', or the differing fields. */
  readonly what: string;
}

/** Is `p` (present only on the buildah side) one of buildah's known additions? */
export function isBuildahAddition(p: string, e: FlatEntry, buildah: ReadonlyMap<string, FlatEntry>, volumes: readonly string[] = []): boolean {
  if (e.uid !== 0 || e.gid !== 0) return false;
  if (BUILDAH_MOUNT_FILES.includes(p)) return e.kind === 'file' && e.size === 0;
  if (BUILDAH_MOUNT_DIRS.includes(p) || volumes.includes(p)) {
    if (e.kind !== 'dir' || e.mode !== 0o755) return false;
    for (const k of buildah.keys()) if (k.startsWith(`${p}/`)) return false;
    return true;
  }
  return false;
}

function hardlinkSets(entries: ReadonlyMap<string, FlatEntry>): Map<string, string> {
  const byNode = new Map<number, string[]>();
  for (const [p, e] of entries) {
    if (e.kind !== 'file') continue;
    const list = byNode.get(e.node);
    if (list) list.push(p);
    else byNode.set(e.node, [p]);
  }
  const out = new Map<string, string>();
  for (const paths of byNode.values()) {
    if (paths.length < 2) continue;
    const set = [...paths].sort().join(',');
    for (const p of paths) out.set(p, set);
  }
  return out;
}

function octal(n: number): string {
  return `0${n.toString(8)}`;
}

/** Field-by-field differences of one path present on both sides ('' if none). */
export function entryDifferences(a: FlatEntry, b: FlatEntry, linksA: string | undefined, linksB: string | undefined): string {
  const out: string[] = [];
  if (a.kind !== b.kind) out.push(`kind ${a.kind} vs ${b.kind}`);
  if (a.mode !== b.mode) out.push(`mode ${octal(a.mode)} vs ${octal(b.mode)}`);
  if (a.uid !== b.uid || a.gid !== b.gid) out.push(`owner ${a.uid}:${a.gid} vs ${b.uid}:${b.gid}`);
  if (a.kind === b.kind) {
    if (a.size !== b.size) out.push(`size ${a.size} vs ${b.size}`);
    else if (a.sha256 !== b.sha256) out.push('content');
    if (a.linkTarget !== b.linkTarget) out.push(`link target ${a.linkTarget} vs ${b.linkTarget}`);
    if (a.device !== b.device) out.push(`device ${a.device} vs ${b.device}`);
  }
  if ((linksA ?? '') !== (linksB ?? '')) out.push(`hardlinks [${linksA ?? ''}] vs [${linksB ?? ''}]`);
  return out.join(', ');
}

/** Root-relative paths of the VOLUME entries of a config. */
export function volumePaths(config: RuntimeFields): string[] {
  return Object.keys(config.Volumes ?? {}).map((v) => v.split('/').filter((c) => c !== '' && c !== '.').join('/'));
}

/**
 * Every path that differs between the strata image and the buildah image. `volumes`: the
 * buildah image's VOLUME paths (root-relative), whose empty directories are buildah's.
 */
export function compareFileSystems(strata: ReadonlyMap<string, FlatEntry>, buildah: ReadonlyMap<string, FlatEntry>, volumes: readonly string[] = []): PathDifference[] {
  const linksS = hardlinkSets(strata);
  const linksB = hardlinkSets(buildah);
  const out: PathDifference[] = [];
  const all = [...new Set([...strata.keys(), ...buildah.keys()])].sort();
  for (const p of all) {
    const s = strata.get(p);
    const b = buildah.get(p);
    if (s && !b) out.push({ path: p, what: 'strata-only' });
    else if (!s && b) {
      if (!isBuildahAddition(p, b, buildah, volumes)) out.push({ path: p, what: 'buildah-only' });
    } else if (s && b) {
      const d = entryDifferences(s, b, linksS.get(p), linksB.get(p));
      if (d) out.push({ path: p, what: d });
    }
  }
  return out;
}

function emptyToUndefined(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v)) return v.length ? v : undefined;
  if (typeof v === 'object') return Object.keys(v).length ? v : undefined;
  return v;
}

function sortedJson(v: unknown): string {
  if (v === undefined) return 'absent';
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const CONFIG_FIELDS: readonly (keyof RuntimeFields)[] = ['Env', 'User', 'WorkingDir', 'Entrypoint', 'Cmd', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal'];

/** Differences of the runtime config fields (absent, null and empty are the same). */
export function compareConfigs(strata: RuntimeFields, buildah: RuntimeFields): PathDifference[] {
  const out: PathDifference[] = [];
  for (const f of CONFIG_FIELDS) {
    let b: unknown = buildah[f];
    if (f === 'Labels' && b && typeof b === 'object') {
      const rest = { ...(b as Record<string, string>) };
      delete rest[BUILDAH_LABEL];
      b = rest;
    }
    const sa = sortedJson(emptyToUndefined(strata[f]));
    const sb = sortedJson(emptyToUndefined(b));
    if (sa !== sb) out.push({ path: `config.${f}`, what: `${sa} vs ${sb}` });
  }
  return out;
}

/** All differences between two images, files first, then config. */
export function compareImages(strata: FlatImage, buildah: FlatImage): PathDifference[] {
  return [...compareFileSystems(strata.entries, buildah.entries, volumePaths(buildah.config)), ...compareConfigs(strata.config, buildah.config)];
}
