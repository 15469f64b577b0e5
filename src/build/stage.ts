/**
 * Executes the stages of one Containerfile target: FROM (scratch, an earlier stage, or a
 * store image — never a registry), then every instruction in order. RUN runs in the
 * sandbox over the stage's layers; COPY/ADD write into a fresh upper directory; both
 * become layers through the same capture path. Metadata instructions change only the
 * image config (ADR 0090).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expandWithVars, formatPlatform, globalScope, parsePlatform, StageScope } from '../containerfile/scope.js';
import type { AddInstruction, Containerfile, CopyInstruction, Heredoc, Instruction, Loc, RunInstruction, Stage } from '../containerfile/types.js';
import type { Digest } from '../digest/digest.js';
import { StrataError, type SourceLocation } from '../errors.js';
import type { Descriptor, HealthConfig, HistoryEntry, ImageConfig } from '../oci/types.js';
import { classifyImageRef } from '../plan/image-ref.js';
import { run as sandboxRun } from '../sandbox/run.js';
import type { SourceCache } from '../source/cache.js';
import type { OciStore } from '../store/store.js';
import { ContextFs } from './context.js';
import { copySources, expandSource, resolveContextPath, UpperWriter, type CopyOptions } from './copy.js';
import { addArchiveOrFile, addUrl } from './add.js';
import { buildError, inputError } from './errors.js';
import { healthConfig, inheritedHealthConfig } from './healthcheck.js';
import { exposedPorts, isStopSignal } from './config-rules.js';
import { nearlyFull } from './disk-full.js';
import { adoptUpperAsLayerDir, captureLayer, layerDir } from './layer.js';
import { LayeredFs, resolveInRoot, type SourceFs } from './layered-fs.js';
import type { StatePaths } from './state.js';
import { resolveIds, type Ids } from './users.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The runtime config as it evolves through a stage. */
export interface RuntimeState {
  entrypoint: readonly string[] | undefined;
  cmd: readonly string[] | undefined;
  workdir: string;
  user: string;
  labels: Map<string, string>;
  exposed: Set<string>;
  volumes: Set<string>;
  stopSignal: string | undefined;
  /** HEALTHCHECK as recorded in the config (inherited from a base image unless replaced). */
  healthcheck: HealthConfig | undefined;
  /** MAINTAINER: the config's top-level `author`, as Docker records it. */
  author: string | undefined;
  shell: readonly string[];
}

export interface StageResult {
  readonly layers: readonly Descriptor[];
  readonly diffIds: readonly Digest[];
  /** Extracted layer directories, base first. */
  readonly dirs: readonly string[];
  readonly history: readonly HistoryEntry[];
  readonly runtime: RuntimeState;
  /** ENV at the end of the stage, in order. */
  readonly env: readonly (readonly [string, string])[];
  /**
   * The stage's platform, normalised (`linux/386`): FROM --platform if given, else the
   * base stage's, else the package's — what the image config records, as BuildKit does.
   */
  readonly platform: string;
}

export interface StageRunInput {
  readonly store: OciStore;
  readonly state: StatePaths;
  readonly namespace: string;
  readonly epoch: number;
  readonly platform: string;
  readonly cf: Containerfile;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly context: ContextFs;
  readonly sourceCache: SourceCache;
  readonly runTimeoutMs: number | undefined;
  readonly allowNetwork: boolean;
  /** Compression of the layers this stage stores (default gzip). */
  readonly layerCompression?: 'gzip' | 'zstd';
  readonly logFile: string;
  /** Called with a short description of each instruction as it starts. */
  readonly onStep?: (text: string) => void;
  /** Called when a RUN fails, with the failed root's layers and upper dir, before cleanup. */
  readonly onRunFailed?: (lowers: readonly string[], upper: string) => Promise<string | undefined>;
}

/** A directory WORKDIR named, created (if missing) at the next layer step. */
interface PendingWorkdir {
  /** Absolute path in the stage root. */
  readonly path: string;
  /** USER at the WORKDIR instruction ('' = root). */
  readonly user: string;
  readonly location: SourceLocation;
}

/** An image resolved from the store for FROM or COPY --from. */
interface StoreImage {
  readonly layers: readonly Descriptor[];
  readonly config: ImageConfig;
}

function emptyRuntime(): RuntimeState {
  return { entrypoint: undefined, cmd: undefined, workdir: '', user: '', labels: new Map(), exposed: new Set(), volumes: new Set(), stopSignal: undefined, healthcheck: undefined, author: undefined, shell: DEFAULT_SHELL };
}

function cloneRuntime(r: RuntimeState): RuntimeState {
  return { ...r, labels: new Map(r.labels), exposed: new Set(r.exposed), volumes: new Set(r.volumes) };
}

function runtimeFromConfig(c: ImageConfig): { runtime: RuntimeState; env: [string, string][] } {
  const rc = c.config ?? {};
  const env: [string, string][] = (rc.Env ?? []).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  });
  return {
    env,
    runtime: {
      entrypoint: rc.Entrypoint, cmd: rc.Cmd, workdir: rc.WorkingDir ?? '', user: rc.User ?? '',
      labels: new Map(Object.entries(rc.Labels ?? {})), exposed: new Set(Object.keys(rc.ExposedPorts ?? {})),
      volumes: new Set(Object.keys(rc.Volumes ?? {})), stopSignal: rc.StopSignal, healthcheck: inheritedHealthConfig(rc.Healthcheck),
      author: c.author, shell: DEFAULT_SHELL,
    },
  };
}

export class StageExecutor {
  private readonly results = new Map<number, Promise<StageResult>>();
  private readonly storeImages = new Map<string, Promise<StoreImage>>();
  private step = 0;

  constructor(private readonly input: StageRunInput) {}

  private log(text: string): void {
    appendFileSync(this.input.logFile, text);
  }

  private loc(l: Loc): SourceLocation {
    return { file: this.input.cf.file, line: l.line, col: l.col };
  }

  /** Build stage `index` (and, first, the stages it needs). */
  stage(index: number): Promise<StageResult> {
    let p = this.results.get(index);
    if (!p) {
      p = this.runStage(this.input.cf.stages[index]!);
      this.results.set(index, p);
    }
    return p;
  }

  private stageByName(value: string, before: number): number | undefined {
    if (/^\d+$/.test(value) && Number(value) < before) return Number(value);
    const s = this.input.cf.stages.find((x) => x.name === value.toLowerCase() && x.index < before);
    return s?.index;
  }

  /** A `<ns>/<image>` reference, from the store only. */
  private storeImage(ref: string, location: SourceLocation): Promise<StoreImage> {
    let p = this.storeImages.get(ref);
    if (!p) {
      p = (async () => {
        const c = classifyImageRef(ref, this.input.namespace);
        const name = c.kind === 'tree' ? c.image : ref;
        const desc = c.kind === 'tree' ? await this.input.store.resolveRef(name) : undefined;
        if (!desc) {
          throw inputError('build/missing-base-image', `image '${ref}' is not in the store`,
            c.kind === 'tree' ? `run 'strata build ${name}' first` : `strata never pulls base images from a registry: build it as a package of this tree and refer to it as ${this.input.namespace}/<image>`,
            location);
        }
        const manifest = await this.input.store.readManifest(desc.digest);
        const config = await this.input.store.readConfig(manifest.config.digest);
        return { layers: manifest.layers, config };
      })();
      this.storeImages.set(ref, p);
    }
    return p;
  }

  private async dirsOf(layers: readonly Descriptor[]): Promise<string[]> {
    const out: string[] = [];
    for (const l of layers) out.push(await layerDir(this.input.state.layers, this.input.store, l));
    return out;
  }

  private async runStage(stage: Stage): Promise<StageResult> {
    const { cf, buildArgs, platform } = this.input;
    const global = globalScope(cf, { buildArgs, platform });
    const fromLoc = this.loc(stage.from.loc);
    // FROM expands in the global scope only
    const fromWord = expandWithVars(stage.from.image, global, fromLoc, cf.directives.escape);
    let layers: Descriptor[] = [];
    let diffIds: Digest[] = [];
    let dirs: string[] = [];
    let history: HistoryEntry[] = [];
    let runtime = emptyRuntime();
    let env: [string, string][] = [];
    let stagePlatform = formatPlatform(parsePlatform(platform));
    const base = this.stageByName(fromWord, stage.index);
    if (base !== undefined) {
      const r = await this.stage(base);
      stagePlatform = r.platform;
      layers = [...r.layers];
      diffIds = [...r.diffIds];
      dirs = [...r.dirs];
      history = [...r.history];
      runtime = cloneRuntime(r.runtime);
      env = r.env.map(([k, v]) => [k, v]);
    } else if (fromWord.toLowerCase() !== 'scratch') {
      const img = await this.storeImage(fromWord, fromLoc);
      layers = [...img.layers];
      diffIds = [...img.config.rootfs.diff_ids];
      dirs = await this.dirsOf(img.layers);
      history = [...(img.config.history ?? [])];
      const fromCfg = runtimeFromConfig(img.config);
      runtime = fromCfg.runtime;
      env = fromCfg.env;
    }
    if (stage.from.platform !== undefined) {
      const at = stage.from.flags.find((f) => f.name === 'platform')?.loc ?? stage.from.loc;
      const text = expandWithVars(stage.from.platform, global, this.loc(at), cf.directives.escape);
      stagePlatform = formatPlatform(parsePlatform(text, { file: cf.file, loc: at }));
    }
    const scope = new StageScope(cf, global, buildArgs, new Map(env));
    /** WORKDIR directories still to create, with the USER in effect at their WORKDIR. */
    const pendingDirs: PendingWorkdir[] = [];
    /** A CMD was given in this stage (ENTRYPOINT then keeps it). */
    let cmdSet = false;

    /** Run one layer-producing step: prepare an upper dir, let `fill` change it, capture. */
    const layerStep = async (createdBy: string, fill: (upper: string, work: string, w: UpperWriter) => Promise<void>, adopt = false): Promise<void> => {
      mkdirSync(this.input.state.work, { recursive: true });
      const scratch = mkdtempSync(path.join(this.input.state.work, 'step-'));
      const upper = path.join(scratch, 'upper');
      const work = path.join(scratch, 'work');
      mkdirSync(upper);
      mkdirSync(work);
      try {
        const w = new UpperWriter(dirs, upper);
        for (const d of pendingDirs) {
          const rel = resolveInRoot(w.view, d.path, true);
          if (w.view.node(rel)?.kind === 'dir') continue;
          const ids = this.workdirIds(d, w.view);
          w.ensureDir(rel, { mode: 0o755, uid: ids.uid, gid: ids.gid });
        }
        pendingDirs.length = 0;
        const t0 = performance.now();
        await fill(upper, work, w);
        w.finish();
        const t1 = performance.now();
        const layer = await captureLayer(upper, this.input.store, this.input.epoch, this.input.layerCompression ?? 'gzip');
        const t2 = performance.now();
        if (layer) {
          layers.push(layer.descriptor);
          diffIds.push(layer.diffId);
          // a COPY/ADD upper was written by strata itself: it becomes the layer directory
          // (ADR 0146); a RUN's upper (kernel-made) is extracted from the blob
          dirs.push(adopt
            ? await adoptUpperAsLayerDir(this.input.state.layers, this.input.store, layer.descriptor, upper, this.input.epoch)
            : await layerDir(this.input.state.layers, this.input.store, layer.descriptor));
          history.push({ created_by: createdBy });
        } else {
          history.push({ created_by: createdBy, empty_layer: true });
        }
        const t3 = performance.now();
        // wall time per phase, for finding where a slow build spends it (never part of an image)
        this.log(`  step time: ${stepKind(createdBy)} ${secs(t1 - t0)}, layer capture (tar+gzip) ${secs(t2 - t1)}, layer extraction ${secs(t3 - t2)}${layer ? `, layer ${layer.descriptor.size} bytes` : ', no layer'}\n`);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    };

    for (const ins of stage.instructions) {
      scope.apply(ins);
      const text = describe(ins);
      this.step++;
      this.input.onStep?.(text);
      this.log(`#${this.step} ${text}\n`);
      const meta = (): void => void history.push({ created_by: text, empty_layer: true });
      switch (ins.kind) {
        case 'ARG':
        case 'ENV':
          meta();
          break;
        case 'MAINTAINER':
          runtime.author = ins.name;
          meta();
          break;
        case 'HEALTHCHECK':
          runtime.healthcheck = healthConfig(ins, cf.file);
          meta();
          break;
        case 'LABEL':
          for (const p of ins.pairs) runtime.labels.set(scope.expand(p.key, p.loc), scope.expand(p.value, p.loc));
          meta();
          break;
        case 'EXPOSE':
          for (const p of ins.ports) {
            const ports = exposedPorts(scope.expand(p, ins.loc));
            if (typeof ports === 'string') {
              throw inputError('build/bad-expose', `EXPOSE: ${ports}`, 'write a port (80), a port and protocol (53/udp) or a range (8000-8010/tcp)', this.loc(ins.loc));
            }
            for (const x of ports) runtime.exposed.add(x);
          }
          meta();
          break;
        case 'VOLUME':
          for (const p of ins.paths) runtime.volumes.add(scope.expand(p, ins.loc));
          meta();
          break;
        case 'STOPSIGNAL':
          runtime.stopSignal = scope.expand(ins.signal, ins.loc);
          if (!isStopSignal(runtime.stopSignal)) {
            throw inputError('build/bad-stopsignal', `STOPSIGNAL ${runtime.stopSignal} is not a signal`, 'write a signal name (SIGTERM, SIGINT, SIGRTMIN+3…) or a number from 1 to 64', this.loc(ins.loc));
          }
          meta();
          break;
        case 'USER':
          runtime.user = scope.expand(ins.user, ins.loc);
          meta();
          break;
        case 'SHELL':
          runtime.shell = [...ins.argv];
          meta();
          break;
        case 'WORKDIR': {
          const p = scope.expand(ins.path, ins.loc);
          runtime.workdir = path.posix.resolve(runtime.workdir || '/', p);
          pendingDirs.push({ path: runtime.workdir, user: runtime.user, location: this.loc(ins.loc) });
          meta();
          break;
        }
        case 'ENTRYPOINT':
          runtime.entrypoint = ins.command.form === 'exec' ? [...ins.command.argv] : [...runtime.shell, ins.command.script];
          // as Docker: a CMD inherited from the base is dropped, one set earlier in this stage kept
          if (!cmdSet) runtime.cmd = undefined;
          meta();
          break;
        case 'CMD':
          runtime.cmd = ins.command.form === 'exec' ? [...ins.command.argv] : [...runtime.shell, ins.command.script];
          cmdSet = true;
          meta();
          break;
        case 'RUN':
          await layerStep(text, (upper, work, w) => this.run(ins, scope, runtime, dirs, upper, work, w));
          break;
        case 'COPY':
        case 'ADD':
          await layerStep(text, async (_u, _w, w) => this.copy(ins, scope, runtime, w, stage.index), true);
          break;
      }
    }
    if (pendingDirs.length) {
      const view = new LayeredFs(dirs, 'the stage');
      if (pendingDirs.some((d) => view.node(resolveInRoot(view, d.path, true))?.kind !== 'dir')) {
        await layerStep(`WORKDIR ${runtime.workdir}`, async () => {});
      }
    }
    return { layers, diffIds, dirs, history, runtime, env: scope.envEntries(), platform: stagePlatform };
  }

  /**
   * The owner of the directories a WORKDIR creates: the USER in effect at the WORKDIR
   * instruction (as BuildKit's mkdir with the user, and buildah, do); a numeric user
   * without a group and without a passwd entry gets gid = uid.
   */
  private workdirIds(d: PendingWorkdir, view: SourceFs): Ids {
    if (d.user === '') return { uid: 0, gid: 0 };
    return resolveIds(d.user, view, d.location, 'USER', (uid) => uid);
  }

  private currentIds(runtime: RuntimeState, view: SourceFs, location?: SourceLocation): Ids {
    if (runtime.user === '') return { uid: 0, gid: 0 };
    return resolveIds(runtime.user, view, location ?? { file: this.input.cf.file }, 'USER', () => 0);
  }

  private async run(ins: RunInstruction, scope: StageScope, runtime: RuntimeState, lowers: readonly string[], upper: string, work: string, w: UpperWriter): Promise<void> {
    const location = this.loc(ins.loc);
    const ids = this.currentIds(runtime, w.view, location);
    const env: Record<string, string> = {
      PATH: DEFAULT_PATH,
      HOME: ids.uid === 0 ? '/root' : '/',
      TZ: 'UTC',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      SOURCE_DATE_EPOCH: String(this.input.epoch),
    };
    for (const [k, v] of scope.argEntries()) env[k] = v;
    for (const [k, v] of scope.envEntries()) env[k] = v;
    const argv = runArgv(ins, runtime.shell);
    const cwd = runtime.workdir || '/';
    const timeoutMs = this.input.runTimeoutMs;
    const result = await sandboxRun({
      root: { kind: 'overlay', lowers, upper, work },
      argv,
      env,
      cwd,
      uid: ids.uid,
      gid: ids.gid,
      network: this.input.allowNetwork && ins.network !== 'none',
      logFile: this.input.logFile,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    if (result.timedOut || result.exitCode !== 0) {
      const kept = await this.input.onRunFailed?.(lowers, upper);
      const keptNote = kept ? `; the failed root is kept in ${kept}` : '';
      const seeLog = kept
        ? `enter the failed root with 'strata run --root ${kept} -- /bin/sh'; the build log is ${this.input.logFile}`
        : `see the build log ${this.input.logFile}`;
      if (result.timedOut) {
        throw buildError('build/run-timeout', `RUN was stopped after ${Math.round(timeoutMs! / 1000)} s (--run-timeout)${keptNote}`, `${seeLog}; raise --run-timeout if the step is just slow`, location);
      }
      if (nearlyFull(upper)) {
        throw buildError('build/disk-full', `RUN exited with status ${result.exitCode}: the file system holding the store is full${keptNote}`, `free space (or run 'strata gc'), then build again; ${seeLog}`, location);
      }
      throw buildError('build/run-failed', `RUN exited with status ${result.exitCode}${keptNote}`, seeLog, location);
    }
  }

  private async copy(ins: CopyInstruction | AddInstruction, scope: StageScope, runtime: RuntimeState, w: UpperWriter, stageIndex: number): Promise<void> {
    const location = this.loc(ins.loc);
    const flagLoc = (name: string): SourceLocation => this.loc(ins.flags.find((f) => f.name === name)?.loc ?? ins.loc);
    let owner: Ids | undefined;
    if (ins.chown !== undefined) {
      owner = resolveIds(scope.expand(ins.chown, ins.loc), w.view, flagLoc('chown'), '--chown', (uid) => uid);
    }
    let chmod: number | undefined;
    if (ins.chmod !== undefined) {
      const v = scope.expand(ins.chmod, ins.loc);
      if (!/^[0-7]{1,4}$/.test(v)) throw inputError('build/bad-chmod', `--chmod=${v} is not an octal mode`, 'write --chmod=0755 (symbolic modes are not supported)', flagLoc('chmod'));
      chmod = parseInt(v, 8);
    }
    let dest = scope.expand(ins.dest, ins.loc);
    if (!dest.startsWith('/')) {
      const trailing = dest.endsWith('/') || dest === '.' || dest === '' ? '/' : '';
      dest = path.posix.join(runtime.workdir || '/', dest) + trailing;
      dest = dest.replace(/\/+$/, '/');
    }
    const base: Omit<CopyOptions, 'context'> = { epoch: this.input.epoch, location, ...(owner ? { owner } : {}), ...(chmod !== undefined ? { chmod, newDirMode: chmod } : {}) };

    // heredoc sources
    const heredocSources = new Map<string, Heredoc>();
    for (const h of ins.heredocs) heredocSources.set(h.delimiter, h);
    const words = ins.sources;
    const plain: string[] = [];
    for (const word of words) {
      const m = /^\d?<<-?["']?([^"']+)["']?$/.exec(word);
      const h = m ? heredocSources.get(m[1]!) : undefined;
      if (h) {
        const dir = mkdtempSync(path.join(this.input.state.work, 'heredoc-'));
        try {
          const body = h.quoted ? h.body : expandHeredocBody(h.body, scope.lookup);
          writeFileSync(path.join(dir, h.delimiter), body, { mode: 0o644 });
          const fs = new ContextFs(dir, []);
          copySources(w, fs, [h.delimiter], dest, { ...base, context: true });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        continue;
      }
      plain.push(scope.expand(word, ins.loc));
    }
    if (plain.length === 0) return;

    if (ins.kind === 'COPY' && ins.from !== undefined) {
      const fromValue = scope.expand(ins.from, ins.loc);
      const idx = this.stageByName(fromValue, stageIndex);
      let fs: LayeredFs;
      if (idx !== undefined) {
        fs = new LayeredFs((await this.stage(idx)).dirs, `stage '${fromValue}'`);
      } else {
        const img = await this.storeImage(fromValue, flagLoc('from'));
        fs = new LayeredFs(await this.dirsOf(img.layers), `image '${fromValue}'`);
      }
      const sources = plain.flatMap((s) => expandSource(fs, s, (p) => resolveInRoot(fs, p, true), location));
      copySources(w, fs, sources, dest, { ...base, context: false });
      return;
    }
    const ctx = this.input.context;
    if (ins.kind === 'ADD') {
      for (const s of plain) {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
          await addUrl(w, s, ins.checksum === undefined ? undefined : scope.expand(ins.checksum, ins.loc), this.input.sourceCache, dest, { ...base, context: true }, flagLoc('checksum'));
          continue;
        }
        if (ins.checksum !== undefined) {
          throw inputError('build/checksum-local', 'ADD --checksum only applies to URL sources', 'remove --checksum for local files', flagLoc('checksum'));
        }
        const sources = expandSource(ctx, s, (p) => resolveContextPath(ctx, p, location), location);
        for (const rel of sources) {
          // the extractor's refusals (an entry escaping the root, a corrupt archive) name
          // the archive; the ADD line is where the user fixes them
          await addArchiveOrFile(w, ctx, rel, dest, base, this.input.state.work, { log: (t) => this.log(t) }).catch((e: unknown) => {
            throw e instanceof StrataError && e.location === undefined
              ? new StrataError(e.code, e.message, { location, kind: e.kind, ...(e.hint !== undefined ? { hint: e.hint } : {}), cause: e })
              : e;
          });
        }
      }
      return;
    }
    const sources = plain.flatMap((s) => expandSource(ctx, s, (p) => resolveContextPath(ctx, p, location), location));
    copySources(w, ctx, sources, dest, { ...base, context: true });
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function stepKind(createdBy: string): string {
  return createdBy.startsWith('RUN') ? 'run' : createdBy.startsWith('WORKDIR') ? 'workdir' : 'copy into upper dir';
}

/** `$NAME` and `${NAME}` in an unquoted COPY heredoc body (BuildKit expands only these there). */
export function expandHeredocBody(body: string, lookup: (n: string) => string | undefined): string {
  return body.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a: string | undefined, b: string | undefined) => lookup((a ?? b)!) ?? '');
}

/** The argv of a RUN: exec form as written; shell form through SHELL, heredocs per BuildKit. */
export function runArgv(ins: RunInstruction, shell: readonly string[]): string[] {
  if (ins.command.form === 'exec') return [...ins.command.argv];
  const script = ins.command.script;
  if (ins.heredocs.length === 1 && /^\s*\d?<<-?\S+\s*$/.test(script)) {
    return [...shell, ins.heredocs[0]!.body];
  }
  if (ins.heredocs.length === 0) return [...shell, script];
  return [...shell, `${script}\n${ins.heredocs.map((h) => `${h.body}${h.delimiter}\n`).join('')}`];
}

/** A short, deterministic description for history and progress. */
export function describe(ins: Instruction): string {
  switch (ins.kind) {
    case 'RUN':
      return `RUN ${ins.command.form === 'exec' ? JSON.stringify(ins.command.argv) : ins.command.script}`;
    case 'COPY':
    case 'ADD':
      return `${ins.kind} ${ins.flags.map((f) => `--${f.name}${f.value === undefined ? '' : `=${f.value}`} `).join('')}${ins.sources.join(' ')} ${ins.dest}`;
    case 'ENV':
    case 'LABEL':
      return `${ins.kind} ${ins.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`;
    case 'ARG':
      return `ARG ${ins.args.map((a) => (a.default === undefined ? a.name : `${a.name}=${a.default}`)).join(' ')}`;
    case 'WORKDIR':
      return `WORKDIR ${ins.path}`;
    case 'USER':
      return `USER ${ins.user}`;
    case 'ENTRYPOINT':
    case 'CMD':
      return `${ins.kind} ${ins.command.form === 'exec' ? JSON.stringify(ins.command.argv) : ins.command.script}`;
    case 'SHELL':
      return `SHELL ${JSON.stringify(ins.argv)}`;
    case 'EXPOSE':
      return `EXPOSE ${ins.ports.join(' ')}`;
    case 'VOLUME':
      return `VOLUME ${ins.paths.join(' ')}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${ins.signal}`;
    case 'HEALTHCHECK': {
      if (ins.command === undefined) return 'HEALTHCHECK NONE';
      const flags = ins.flags.map((f) => `--${f.name}=${f.value ?? ''} `).join('');
      return `HEALTHCHECK ${flags}CMD ${ins.command.form === 'exec' ? JSON.stringify(ins.command.argv) : ins.command.script}`;
    }
    case 'MAINTAINER':
      return `MAINTAINER ${ins.name}`;
    case 'FROM':
      return `FROM ${ins.image}`;
  }
}
