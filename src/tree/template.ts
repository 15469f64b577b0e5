/**
 * package.toml placeholders and the build args derived from a version (DESIGN §2).
 * Pure: no I/O.
 */

/** Placeholders allowed in `file`; mirrors also allow `{file}`. */
export const VERSION_PLACEHOLDERS = [
  'version',
  'version_major',
  'version_major_minor',
  'version_dash',
  'version_under',
  'version_strip_suffix',
] as const;

export interface VersionForms {
  readonly version: string;
  readonly version_major: string;
  readonly version_major_minor: string;
  readonly version_dash: string;
  readonly version_under: string;
  readonly version_strip_suffix: string;
}

/**
 * The forms of a version. `version_strip_suffix` is the leading run of digits and dots
 * (`1.2.3-rc1` → `1.2.3`, `9.4p1` → `9.4`), with a trailing dot removed; a version that
 * does not start with a digit is kept whole (see docs/adr/0021).
 */
export function versionForms(version: string): VersionForms {
  const parts = version.split('.');
  const lead = /^[0-9][0-9.]*/.exec(version)?.[0]?.replace(/\.+$/, '');
  return {
    version,
    version_major: parts[0] ?? version,
    version_major_minor: parts.slice(0, 2).join('.'),
    version_dash: version.replaceAll('.', '-'),
    version_under: version.replaceAll('.', '_'),
    version_strip_suffix: lead ?? version,
  };
}

export type PlaceholderResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly placeholder: string; readonly reason: 'unknown' | 'undefined' };

/**
 * Replace `{name}` placeholders. `values` maps known names to their value, or to
 * undefined when the name is known but has no value here (e.g. `{format}` without a
 * `format` key): that is reported as 'undefined'; names not in `values` as 'unknown'.
 */
export function expandPlaceholders(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
): PlaceholderResult {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) break;
    const close = template.indexOf('}', open + 1);
    if (close < 0) break;
    const name = template.slice(open + 1, close);
    out += template.slice(i, open);
    if (!Object.hasOwn(values, name)) return { ok: false, placeholder: name, reason: 'unknown' };
    const v = values[name];
    if (v === undefined) return { ok: false, placeholder: name, reason: 'undefined' };
    out += v;
    i = close + 1;
  }
  return { ok: true, value: out + template.slice(i) };
}

/** `zlib` → `ZLIB`, `gcc-libs` → `GCC_LIBS`. */
export function argId(sourceId: string): string {
  return sourceId.toUpperCase().replace(/[-.]/g, '_');
}

export interface BuildArgSource {
  readonly id: string;
  readonly version: string;
  readonly file: string;
  readonly gitSha: string | undefined;
}

/**
 * Build args passed to a package's Containerfile, sorted by name:
 * VERSION and its forms; for every source `<ID>_VERSION` and `<ID>_SOURCE`; with a git
 * sha `<ID>_GIT_SHA`.
 */
export function buildArgs(version: string, sources: readonly BuildArgSource[]): Record<string, string> {
  const f = versionForms(version);
  const entries: [string, string][] = [
    ['VERSION', f.version],
    ['VERSION_UNDER', f.version_under],
    ['VERSION_DASH', f.version_dash],
    ['VERSION_MAJOR', f.version_major],
    ['VERSION_MAJOR_MINOR', f.version_major_minor],
    ['VERSION_STRIP_SUFFIX', f.version_strip_suffix],
  ];
  for (const s of sources) {
    const id = argId(s.id);
    entries.push([`${id}_VERSION`, s.version], [`${id}_SOURCE`, s.file]);
    if (s.gitSha !== undefined) entries.push([`${id}_GIT_SHA`, s.gitSha]);
  }
  // one object, keys inserted in sorted order (the sort is stable: a later duplicate wins)
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const args: Record<string, string> = {};
  for (const [k, v] of entries) args[k] = v;
  return args;
}
