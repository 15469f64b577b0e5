/**
 * `buildTree`: the typed core of `strata build`. Loads and plans the tree, fetches missing
 * sources, then builds the requested images and their dependencies in plan order
 * (independent images in parallel up to `jobs`) into the store; an image whose inputs are
 * unchanged is taken from the cache (ADR 0095). Each image is referenced in the store only
 * once its manifest and every blob are in; then its line of digests/<stage>.txt is set.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseContainerfile } from '../containerfile/parser.js';
import { parsePlatform } from '../containerfile/scope.js';
import { digestHex, sha256Digest, type Digest } from '../digest/digest.js';
import { parseManifest } from '../oci/validate.js';
import { StrataError, StrataErrors } from '../errors.js';
import { buildImageConfig } from '../oci/build.js';
import { MEDIA_TYPE_MANIFEST, type Descriptor, type RuntimeConfig } from '../oci/types.js';
import { planTree } from '../plan/plan.js';
import { selectClosure } from '../plan/graph.js';
import type { PlannedImage } from '../plan/types.js';
import { loadSeed } from '../bootstrap/seed.js';
import { defaultCacheDir, SourceCache } from '../source/cache.js';
import { fetchedFiles } from '../source/context.js';
import { describeFailure, fetchSources } from '../source/download.js';
import { checkMirrorPrefixes, mirrorsFromEnv } from '../source/mirrors.js';
import { specsOfPackage } from '../source/select.js';
import { defaultStorePath } from '../store/paths.js';
import { OciStore } from '../store/store.js';
import { loadTree } from '../tree/load.js';
import type { PackageDef, Tree } from '../tree/types.js';
import { cacheKey, sha256Hex } from './cache-key.js';
import { ContextFs, describeBytes, listContext, type ReaddirOrder, type VirtualFile } from './context.js';
import { UpperWriter } from './copy.js';
import { updateDigestsFile } from './digests-file.js';
import { LayeredFs } from './layered-fs.js';
import { checkSeedFixpoint, seedKeyLocation } from './seed-fixpoint.js';
import { DEFAULT_PATH, StageExecutor, type StageResult } from './stage.js';
import { claimWorkDir, statePaths, type StatePaths } from './state.js';
import { asDiskFull } from './disk-full.js';

export interface BuildOptions {
  /** Tree root. */
  readonly tree: string;
  /** Store directory (default <tree>/.strata/store). */
  readonly store?: string;
  /** Image names; empty with `all` means every image. */
  readonly images: readonly string[];
  readonly all?: boolean;
  readonly jobs?: number;
  readonly keepFailed?: boolean;
  readonly runTimeoutSeconds?: number;
  readonly allowNetwork?: boolean;
  /** Source cache (default: $STRATA_CACHE, else <tree>/.strata/sources). */
  readonly sourceCache?: string;
  /** Environment for $STRATA_MIRRORS / $STRATA_CACHE only; never passed to builds. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Order in which build-context directories are listed before sorting: 'native'
   * (default) or 'reverse' (`verify --vary` uses it to show the output does not depend on
   * it). Typed as a string so callers building options dynamically need no cast; any
   * other value means 'native'.
   */
  readonly readdirOrder?: ReaddirOrder | (string & Record<never, never>);
  /** Ignore cache records (verify uses a fresh store anyway). */
  readonly noCache?: boolean;
  /** Layer compression (default gzip; zstd is ADR 0166's pinned encoder). Part of the cache key. */
  readonly layerCompression?: 'gzip' | 'zstd';
  readonly onEvent?: (e: BuildEvent) => void;
}

export type BuildEvent =
  | { readonly type: 'start'; readonly image: string }
  | { readonly type: 'step'; readonly image: string; readonly text: string }
  | { readonly type: 'done'; readonly image: string; readonly result: ImageBuildResult }
  | {
    readonly type: 'failed';
    readonly image: string;
    readonly error: StrataError;
    /** The image's build log (absolute). */
    readonly log: string;
    /** With keepFailed: the failed RUN's root, for `strata run --root`. */
    readonly keptRoot?: string;
  };

export interface ImageBuildResult {
  readonly image: string;
  /** The platform manifest digest. */
  readonly digest: Digest;
  readonly cached: boolean;
  /** False when a RUN may have used the network (--allow-network). */
  readonly hermetic: boolean;
  readonly log: string;
  readonly keptRoot?: string;
}

export interface BuildReport {
  readonly store: string;
  readonly results: readonly ImageBuildResult[];
}

interface CacheRecord {
  readonly image: string;
  readonly descriptor: Descriptor;
}

/** The platform a package is built for: the tree's, if the package supports it. */
export function packagePlatform(pkg: PackageDef, treePlatform: string): string {
  return pkg.platforms.includes(treePlatform) ? treePlatform : (pkg.platforms[0] ?? treePlatform);
}

export async function buildTree(o: BuildOptions): Promise<BuildReport> {
  try {
    return await buildTreeUnguarded(o);
  } catch (e) {
    throw asDiskFull(e, o.store ?? defaultStorePath(o.tree), 'the tree') ?? e;
  }
}

async function buildTreeUnguarded(o: BuildOptions): Promise<BuildReport> {
  const env = o.env ?? {};
  const tree = loadTree(o.tree, { parse: parseContainerfile });
  const { plan, errors } = planTree(tree, {});
  if (errors.length) throw errors.length === 1 ? errors[0]! : new StrataErrors(errors);
  if (o.images.length === 0 && !o.all) {
    throw new StrataError('build/nothing-to-build', 'no image named', { hint: "name images (e.g. 'strata build core-zlib') or pass --all" });
  }
  const selected = o.all ? plan : selectClosure(plan, o.images);
  const byName = new Map(selected.images.map((i) => [i.name, i]));
  const packages = new Map(tree.packages.map((p) => [p.id, p]));

  // sources first
  const cache = new SourceCache(o.sourceCache ?? defaultCacheDir(o.tree, undefined, env));
  const pkgIds = [...new Set(selected.images.map((i) => i.packageId))].sort();
  const specs = pkgIds.flatMap((id) => specsOfPackage(packages.get(id)!));
  if (specs.length) {
    const prefixes = [
      ...checkMirrorPrefixes(tree.config.mirrors, tree.config.file ?? 'strata.toml', tree.config.file ? { file: tree.config.file } : undefined),
      ...mirrorsFromEnv(env),
    ];
    const fetched = await fetchSources(specs, { cache, mirrorPrefixes: prefixes });
    const failed = fetched.filter((r) => r.status === 'failed' || r.status === 'missing');
    if (failed.length) {
      throw new StrataError('build/sources-missing', failed.map(describeFailure).join('; '), {
        kind: 'build',
        location: failed[0]!.spec.location ?? { file: o.tree },
        hint: 'fix the mirrors or hashes, or import the sources with strata fetch --import',
      });
    }
  }

  const store = await OciStore.open(o.store ?? defaultStorePath(o.tree), { create: true });
  const shared = statePaths(store.root);
  for (const d of [shared.layers, shared.cache, shared.logs, shared.work]) mkdirSync(d, { recursive: true });
  const state = await claimWorkDir(shared);

  const jobs = Math.max(1, o.jobs ?? 2);
  let running = 0;
  const waiters: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (running < jobs) {
      running++;
      return;
    }
    await new Promise<void>((r) => waiters.push(r));
  };
  const release = (): void => {
    const next = waiters.shift();
    if (next) next();
    else running--;
  };

  const verified: VerifiedBlobs = new Set();
  const keptRoots = new Map<string, string>();
  const promises = new Map<string, Promise<ImageBuildResult>>();
  for (const name of selected.order) {
    const img = byName.get(name)!;
    promises.set(name, (async () => {
      await Promise.all(img.deps.filter((d) => promises.has(d)).map((d) => promises.get(d)!));
      await acquire();
      try {
        o.onEvent?.({ type: 'start', image: name });
        const r = await buildImage(tree, img, packages.get(img.packageId)!, store, state, cache, o, verified, keptRoots);
        o.onEvent?.({ type: 'done', image: name, result: r });
        return r;
      } catch (caught) {
        const e = asDiskFull(caught, store.root, name) ?? caught;
        if (e instanceof StrataError) {
          const kept = keptRoots.get(name);
          o.onEvent?.({ type: 'failed', image: name, error: e, log: buildLogFile(state, name), ...(kept ? { keptRoot: kept } : {}) });
        }
        throw e;
      } finally {
        release();
      }
    })());
  }
  const settled = await Promise.allSettled([...promises.values()]);
  rmSync(state.work, { recursive: true, force: true });
  const failures: unknown[] = [];
  for (const s of settled) if (s.status === 'rejected' && !failures.includes(s.reason)) failures.push(s.reason);
  if (failures.length) {
    const strata = failures.filter((f): f is StrataError => f instanceof StrataError);
    if (strata.length !== failures.length) throw failures.find((f) => !(f instanceof StrataError));
    throw strata.length === 1 ? strata[0]! : new StrataErrors(strata);
  }
  return { store: store.root, results: settled.map((s) => (s as PromiseFulfilledResult<ImageBuildResult>).value) };
}

/** An image's build log (the 'failed' event names it, so both places must agree). */
function buildLogFile(state: StatePaths, image: string): string {
  return path.join(state.logs, `${image}.log`);
}

async function buildImage(tree: Tree, img: PlannedImage, pkg: PackageDef, store: OciStore, state: StatePaths, cache: SourceCache, o: BuildOptions, verified: VerifiedBlobs, keptRoots: Map<string, string>): Promise<ImageBuildResult> {
  const cf = pkg.containerfile!;
  const platform = packagePlatform(pkg, tree.config.platform);
  const epoch = tree.config.sourceDateEpoch;
  const pkgDir = path.resolve(pkg.dir);
  const log = buildLogFile(state, img.name);
  const logHeader = `strata build ${img.name} (${pkg.id}, ${platform})\n`;
  // the context scratch (a decoded seed) is made only after a cache miss, and only when needed
  const scratch = path.join(state.work, `ctx-${img.name}`);
  let scratchMade = false;
  try {
    const virtual: VirtualFile[] = [];
    for (const f of await fetchedFiles(pkg, cache)) virtual.push({ rel: `fetch/${f.file}`, abs: f.path, sha256: f.hash, size: 0 });
    let seedHash: string | undefined;
    const seed = pkg.seed ? await loadSeed(pkgDir, pkg.dir) : undefined;
    const seedFile = seed ? describeBytes(seed.spec.file, path.join(scratch, 'seed'), seed.bytes) : undefined;
    if (seed && seedFile) {
      virtual.push(seedFile);
      seedHash = seed.spec.hash;
    }
    const context = new ContextFs(pkgDir, virtual, o.readdirOrder === 'reverse' ? 'reverse' : 'native');

    const deps: Record<string, string> = {};
    for (const ref of [...img.references, ...img.external]) {
      const d = await store.resolveRef(ref.image);
      deps[ref.image] = d ? d.digest : 'missing';
    }
    const network = o.allowNetwork ?? false;
    const tList = performance.now();
    const listing = await listContext(context);
    const listMs = performance.now() - tList;
    // both files are in the package directory, so the listing already hashed them
    const hashOf = (name: string): string => listing.find((e) => e.path === name && e.kind === 'file')?.sha256 ?? sha256Hex(readFileSync(path.join(pkgDir, name)));
    const key = cacheKey({
      image: img.name,
      target: img.target,
      targetIndex: img.targetIndex,
      containerfile: hashOf('Containerfile'),
      packageToml: hashOf('package.toml'),
      context: listing,
      sources: pkg.sources.map((s) => ({ file: s.file, hash: s.hash })),
      seed: seedHash,
      deps,
      buildArgs: pkg.buildArgs,
      platform,
      sourceDateEpoch: epoch,
      namespace: tree.config.namespace,
      network,
      layerCompression: o.layerCompression ?? 'gzip',
    });
    const recordFile = path.join(state.cache, `${key}.json`);
    const digestsOf = async (d: Digest): Promise<void> => {
      await updateDigestsFile(tree.root, img.stage, img.name, digestHex(d));
    };

    if (!o.noCache) {
      const hit = await cachedImage(store, recordFile, verified);
      if (hit) {
        const current = await store.resolveRef(img.name);
        if (current?.digest !== hit.digest) await store.setRef(img.name, hit);
        await digestsOf(hit.digest);
        noteCacheHit(log, logHeader, `cached: ${hit.digest} (key ${key})\n`);
        return { image: img.name, digest: hit.digest, cached: true, hermetic: !network, log };
      }
    }
    writeFileSync(log, `${logHeader}context listed and hashed in ${(listMs / 1000).toFixed(2)} s (${listing.length} entries)\n`);
    if (seed && seedFile) {
      mkdirSync(scratch, { recursive: true });
      scratchMade = true;
      writeFileSync(seedFile.abs, seed.bytes, { mode: 0o644 });
    }

    let keptRoot: string | undefined;
    const exec = new StageExecutor({
      store, state, namespace: tree.config.namespace, epoch, platform, cf, buildArgs: pkg.buildArgs, context,
      sourceCache: cache,
      runTimeoutMs: o.runTimeoutSeconds === undefined ? undefined : o.runTimeoutSeconds * 1000,
      allowNetwork: network,
      layerCompression: o.layerCompression ?? 'gzip',
      logFile: log,
      onStep: (text) => o.onEvent?.({ type: 'step', image: img.name, text }),
      ...(o.keepFailed ? {
        onRunFailed: async (lowers, upper) => {
          keptRoot = keepRoot(state, img.name, lowers, upper);
          keptRoots.set(img.name, keptRoot);
          return keptRoot;
        },
      } : {}),
    });
    const result = await exec.stage(img.targetIndex);
    if (seed) {
      const tomlFile = path.join(pkg.dir, 'package.toml');
      const where = seedKeyLocation(readFileSync(path.join(pkgDir, 'package.toml'), 'utf8'), tomlFile, 'fixpoint');
      checkSeedFixpoint(new LayeredFs(result.dirs, `image ${img.name}`), img.name, seed.spec.fixpoint, seed.bytes, where);
      writeFileSync(log, `seed fixpoint ${seed.spec.fixpoint}: identical to the seed (sha256 ${seed.spec.hash})\n`, { flag: 'a' });
    }
    const desc = await storeImage(store, img.name, result, epoch);
    const rec: CacheRecord = { image: img.name, descriptor: desc };
    const tmp = `${recordFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(rec));
    await rename(tmp, recordFile);
    await digestsOf(desc.digest);
    writeFileSync(log, `built: ${desc.digest}\n`, { flag: 'a' });
    return { image: img.name, digest: desc.digest, cached: false, hermetic: !network, log, ...(keptRoot ? { keptRoot } : {}) };
  } finally {
    if (scratchMade) rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * On a cache hit the log keeps the build that made the image and gains one `cached:` line,
 * unless it already ends with that line (a repeated no-change rebuild appends nothing).
 * Appending, not rewriting: truncating and rewriting hundreds of small files costs ext4 a
 * flush per file (auto_da_alloc), which dominated no-change rebuilds.
 */
function noteCacheHit(log: string, header: string, line: string): void {
  let fd: number;
  try {
    fd = openSync(log, 'r');
  } catch {
    writeFileSync(log, header + line);
    return;
  }
  let tail = '';
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, Buffer.byteLength(line));
    const buf = Buffer.alloc(want);
    const n = readSync(fd, buf, 0, want, size - want);
    tail = buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
  if (tail !== line) appendFileSync(log, line);
}

/** `digest:size` of blobs this process has already found present (blobs are immutable). */
type VerifiedBlobs = Set<string>;

async function cachedImage(store: OciStore, recordFile: string, verified: VerifiedBlobs): Promise<Descriptor | undefined> {
  let rec: CacheRecord;
  try {
    rec = JSON.parse(readFileSync(recordFile, 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
  try {
    // the manifest is read (and its digest verified); every blob it names must be present
    // with its size — layers shared by many images are checked once per process
    const d = rec.descriptor;
    if (d.mediaType !== MEDIA_TYPE_MANIFEST) {
      await store.assertComplete(d);
      return d;
    }
    // synchronous reads: a no-change rebuild does this for every image, and a thread-pool
    // round trip per tiny file costs more than the read
    const file = store.blobPath(d.digest);
    const bytes = readFileSync(file);
    if (bytes.length !== d.size || sha256Digest(bytes) !== d.digest) return undefined;
    const m = parseManifest(bytes, file);
    for (const b of [m.config, ...m.layers]) {
      const id = `${b.digest}:${b.size}`;
      if (verified.has(id)) continue;
      const st = statSync(store.blobPath(b.digest), { throwIfNoEntry: false });
      if (!st?.isFile() || st.size !== b.size) return undefined;
      verified.add(id);
    }
    return d;
  } catch {
    return undefined;
  }
}

/**
 * The image config for a built stage, and the image in the store under `ref`. The config's
 * platform is the stage's (StageResult.platform: FROM --platform, else the base stage's,
 * else the package's).
 */
export async function storeImage(store: OciStore, ref: string, r: StageResult, epoch: number): Promise<Descriptor> {
  const p = parsePlatform(r.platform);
  const rt = r.runtime;
  const env = r.env.map(([k, v]) => `${k}=${v}`);
  if (!r.env.some(([k]) => k === 'PATH')) env.unshift(`PATH=${DEFAULT_PATH}`);
  const config: RuntimeConfig = {
    Env: env,
    ...(rt.user ? { User: rt.user } : {}),
    ...(rt.entrypoint ? { Entrypoint: rt.entrypoint } : {}),
    ...(rt.cmd ? { Cmd: rt.cmd } : {}),
    ...(rt.workdir ? { WorkingDir: rt.workdir } : {}),
    ...(rt.labels.size ? { Labels: Object.fromEntries(rt.labels) } : {}),
    ...(rt.exposed.size ? { ExposedPorts: Object.fromEntries([...rt.exposed].map((x) => [x, {}])) } : {}),
    ...(rt.volumes.size ? { Volumes: Object.fromEntries([...rt.volumes].map((x) => [x, {}])) } : {}),
    ...(rt.stopSignal ? { StopSignal: rt.stopSignal } : {}),
    ...(rt.healthcheck ? { Healthcheck: rt.healthcheck } : {}),
  };
  const cfg = buildImageConfig({
    platform: { os: p.os, architecture: p.arch, ...(p.variant ? { variant: p.variant } : {}) },
    sourceDateEpoch: epoch,
    ...(rt.author ? { author: rt.author } : {}),
    config,
    diffIds: r.diffIds,
    history: r.history.map(({ created: _c, ...h }) => h),
  });
  return store.writeImage(ref, cfg, r.layers);
}

/** --keep-failed: flatten the failed step's root (layers + upper) into a directory `strata run --root` can enter. */
function keepRoot(state: StatePaths, image: string, lowers: readonly string[], upper: string): string {
  const dir = path.join(state.failed, image);
  rmSync(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  const view = new LayeredFs([...lowers, upper], 'the failed root');
  const w = new UpperWriter([], rootfs);
  w.place(view, '', view.node('')!, '', { context: false, epoch: 0, location: { file: image } });
  w.finish();
  return rootfs;
}
