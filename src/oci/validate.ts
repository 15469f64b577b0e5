/**
 * Validation of untrusted OCI objects: every invariant of the image spec that matters to
 * strata. Each `validate…` returns the list of problems (empty = valid) so callers can
 * show all of them; `parse…` functions decode bytes and throw one StrataError listing
 * them. Used on every object read back from a store or registry and in round-trip tests.
 * Pure: no I/O.
 */
import { isDigest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import {
  LAYER_MEDIA_TYPES,
  MEDIA_TYPE_CONFIG,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './types.js';

export interface Problem {
  /** JSON path inside the object, e.g. `$.layers[2].digest`. */
  readonly path: string;
  readonly message: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  obj(v: unknown, path: string): v is Obj {
    if (isObj(v)) return true;
    this.add(path, 'must be an object');
    return false;
  }
  str(o: Obj, key: string, path: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.add(`${path}.${key}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(`${path}.${key}`, 'must be a string');
      return undefined;
    }
    return v;
  }
  strArray(o: Obj, key: string, path: string): void {
    const v = o[key];
    if (v === undefined) return;
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) this.add(`${path}.${key}`, 'must be an array of strings');
  }
  strMap(o: Obj, key: string, path: string): void {
    const v = o[key];
    if (v === undefined) return;
    if (!isObj(v) || Object.values(v).some((e) => typeof e !== 'string')) this.add(`${path}.${key}`, 'must map strings to strings');
  }
  emptyObjMap(o: Obj, key: string, path: string): void {
    const v = o[key];
    if (v === undefined) return;
    if (!isObj(v) || Object.values(v).some((e) => !isObj(e) || Object.keys(e).length > 0)) {
      this.add(`${path}.${key}`, 'must map strings to empty objects');
    }
  }
}

const PLATFORM_TOKEN = /^[a-z0-9_]+$/;

function checkPlatformFields(c: Checker, o: Obj, path: string): void {
  const os = c.str(o, 'os', path, true);
  const arch = c.str(o, 'architecture', path, true);
  if (os !== undefined && !PLATFORM_TOKEN.test(os)) c.add(`${path}.os`, `invalid os '${os}'`);
  if (arch !== undefined && !PLATFORM_TOKEN.test(arch)) c.add(`${path}.architecture`, `invalid architecture '${arch}'`);
  const variant = c.str(o, 'variant', path, false);
  if (variant !== undefined && !PLATFORM_TOKEN.test(variant)) c.add(`${path}.variant`, `invalid variant '${variant}'`);
  c.str(o, 'os.version', path, false);
  c.strArray(o, 'os.features', path);
}

function checkDescriptor(c: Checker, v: unknown, path: string, allowedMediaTypes?: readonly string[]): void {
  if (!c.obj(v, path)) return;
  const mt = c.str(v, 'mediaType', path, true);
  if (mt !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/.test(mt)) {
      c.add(`${path}.mediaType`, `malformed media type '${mt}'`);
    } else if (allowedMediaTypes && !allowedMediaTypes.includes(mt)) {
      c.add(`${path}.mediaType`, `unexpected media type '${mt}' (expected ${allowedMediaTypes.join(' or ')})`);
    }
  }
  if (!isDigest(v['digest'])) c.add(`${path}.digest`, "must be 'sha256:' and 64 lowercase hex digits");
  const size = v['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    c.add(`${path}.size`, 'must be a non-negative integer');
  }
  c.strMap(v, 'annotations', path);
  c.strArray(v, 'urls', path);
  c.str(v, 'artifactType', path, false);
  if (v['platform'] !== undefined && c.obj(v['platform'], `${path}.platform`)) {
    checkPlatformFields(c, v['platform'] as Obj, `${path}.platform`);
  }
}

function checkHeader(c: Checker, v: Obj, mediaType: string): void {
  if (v['schemaVersion'] !== 2) c.add('$.schemaVersion', 'must be 2');
  if (v['mediaType'] !== mediaType) c.add('$.mediaType', `must be '${mediaType}'`);
  c.strMap(v, 'annotations', '$');
}

export function validateManifest(untrusted: unknown): Problem[] {
  const c = new Checker();
  if (!c.obj(untrusted, '$')) return c.problems;
  checkHeader(c, untrusted, MEDIA_TYPE_MANIFEST);
  checkDescriptor(c, untrusted['config'], '$.config', [MEDIA_TYPE_CONFIG]);
  const layers = untrusted['layers'];
  if (!Array.isArray(layers)) c.add('$.layers', 'must be an array');
  else layers.forEach((l, i) => checkDescriptor(c, l, `$.layers[${i}]`, LAYER_MEDIA_TYPES));
  return c.problems;
}

export function validateIndex(untrusted: unknown): Problem[] {
  const c = new Checker();
  if (!c.obj(untrusted, '$')) return c.problems;
  checkHeader(c, untrusted, MEDIA_TYPE_INDEX);
  const ms = untrusted['manifests'];
  if (!Array.isArray(ms)) c.add('$.manifests', 'must be an array');
  else ms.forEach((m, i) => checkDescriptor(c, m, `$.manifests[${i}]`, [MEDIA_TYPE_MANIFEST, MEDIA_TYPE_INDEX]));
  return c.problems;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function validateImageConfig(untrusted: unknown): Problem[] {
  const c = new Checker();
  if (!c.obj(untrusted, '$')) return c.problems;
  const v = untrusted;
  checkPlatformFields(c, v, '$');
  const created = c.str(v, 'created', '$', false);
  if (created !== undefined && !RFC3339.test(created)) c.add('$.created', 'must be an RFC 3339 date-time');
  c.str(v, 'author', '$', false);
  if (v['config'] !== undefined && c.obj(v['config'], '$.config')) {
    const rc = v['config'] as Obj;
    for (const k of ['User', 'WorkingDir', 'StopSignal']) c.str(rc, k, '$.config', false);
    for (const k of ['Env', 'Entrypoint', 'Cmd']) c.strArray(rc, k, '$.config');
    c.strMap(rc, 'Labels', '$.config');
    c.emptyObjMap(rc, 'ExposedPorts', '$.config');
    c.emptyObjMap(rc, 'Volumes', '$.config');
    const env = rc['Env'];
    if (Array.isArray(env)) {
      env.forEach((e, i) => {
        if (typeof e === 'string' && !/^[^=]+=/.test(e)) c.add(`$.config.Env[${i}]`, "must be 'NAME=value'");
      });
    }
  }
  const rootfs = v['rootfs'];
  if (c.obj(rootfs, '$.rootfs')) {
    if (rootfs['type'] !== 'layers') c.add('$.rootfs.type', "must be 'layers'");
    const ids = rootfs['diff_ids'];
    if (!Array.isArray(ids)) c.add('$.rootfs.diff_ids', 'must be an array');
    else ids.forEach((d, i) => {
      if (!isDigest(d)) c.add(`$.rootfs.diff_ids[${i}]`, "must be 'sha256:' and 64 lowercase hex digits");
    });
  }
  const history = v['history'];
  if (history !== undefined) {
    if (!Array.isArray(history)) c.add('$.history', 'must be an array');
    else history.forEach((h, i) => {
      const p = `$.history[${i}]`;
      if (!c.obj(h, p)) return;
      const hc = c.str(h, 'created', p, false);
      if (hc !== undefined && !RFC3339.test(hc)) c.add(`${p}.created`, 'must be an RFC 3339 date-time');
      for (const k of ['created_by', 'author', 'comment']) c.str(h, k, p, false);
      if (h['empty_layer'] !== undefined && typeof h['empty_layer'] !== 'boolean') c.add(`${p}.empty_layer`, 'must be a boolean');
    });
  }
  return c.problems;
}

/** Cross-object invariants of one image: its manifest against its (already valid) config. */
export function validateImage(manifest: ImageManifest, config: ImageConfig): Problem[] {
  const c = new Checker();
  const ids = config.rootfs.diff_ids;
  if (ids.length !== manifest.layers.length) {
    c.add('$.rootfs.diff_ids', `has ${ids.length} entries but the manifest has ${manifest.layers.length} layers`);
  }
  if (config.history) {
    const nonEmpty = config.history.filter((h) => !h.empty_layer).length;
    if (nonEmpty !== manifest.layers.length) {
      c.add('$.history', `has ${nonEmpty} non-empty entries but the manifest has ${manifest.layers.length} layers`);
    }
  }
  manifest.layers.forEach((l, i) => {
    if (l.mediaType === 'application/vnd.oci.image.layer.v1.tar' && ids[i] !== undefined && ids[i] !== l.digest) {
      c.add(`$.rootfs.diff_ids[${i}]`, 'an uncompressed layer must have diff_id equal to its digest');
    }
  });
  return c.problems;
}

/** The OCI ref-name grammar (image-layout spec, `org.opencontainers.image.ref.name`). */
export function isValidRefName(s: string): boolean {
  const component = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
  return new RegExp(`^${component}(?:/${component})*$`).test(s) && s.length <= 255;
}

function decode(bytes: Uint8Array, what: string, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new StrataError('oci/bad-json', `${what} is not valid UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`, {
      location: { file: where },
      hint: 'the blob is corrupt or not an OCI object; run strata fsck',
      kind: 'check',
    });
  }
}

function throwProblems(code: string, what: string, where: string, problems: readonly Problem[]): never {
  const first = problems[0]!;
  throw new StrataError(code, `invalid ${what}: ${first.path} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
    location: { file: where },
    hint: 'the object does not follow the OCI image spec; rebuild or re-pull it',
    kind: 'check',
    detail: { problems },
  });
}

function parseWith<T>(bytes: Uint8Array, where: string, what: string, code: string, check: (v: unknown) => Problem[]): T {
  const v = decode(bytes, what, where);
  const problems = check(v);
  if (problems.length) throwProblems(code, what, where, problems);
  return v as T;
}

export function parseManifest(bytes: Uint8Array, where: string): ImageManifest {
  return parseWith(bytes, where, 'image manifest', 'oci/invalid-manifest', validateManifest);
}
export function parseIndex(bytes: Uint8Array, where: string): ImageIndex {
  return parseWith(bytes, where, 'image index', 'oci/invalid-index', validateIndex);
}
export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfig {
  return parseWith(bytes, where, 'image config', 'oci/invalid-config', validateImageConfig);
}
export function assertValidImage(manifest: ImageManifest, config: ImageConfig, where: string): void {
  const p = validateImage(manifest, config);
  if (p.length) throwProblems('oci/invalid-image', 'image', where, p);
}
