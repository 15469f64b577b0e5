/**
 * Drive the peer builder, buildah (Debian 12: 1.28), for interop tests and benchmarks:
 * a private storage root (overlay driver, buildah's default for root), the base image
 * handed over from an OCI layout strata exported, `buildah build --timestamp 0
 * --isolation chroot --pull-never` (plus per-case flags such as --layers), then
 * `buildah push` into an OCI layout (gzip layers, like strata's store). Never touches a
 * registry. See docs/adr/0130.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/** buildah's version line, or undefined when it is not installed or does not run. */
export function buildahVersion(): string | undefined {
  const r = spawnSync('buildah', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim();
}

export interface BuildahBuildOptions {
  readonly containerfile: string;
  readonly context: string;
  /** Local image name for the result. */
  readonly tag: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly target?: string;
  /** Extra `buildah build` flags, e.g. ['--layers']. */
  readonly flags?: readonly string[];
}

export class Buildah {
  readonly root: string;
  readonly runroot: string;

  /** Storage lives under `dir` (created; removed by `destroy`). */
  constructor(
    readonly dir: string,
    readonly driver: 'overlay' | 'vfs' = 'overlay',
  ) {
    this.root = path.join(dir, 'root');
    this.runroot = path.join(dir, 'runroot');
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.runroot, { recursive: true });
  }

  /** Run buildah with the private storage; returns stdout; throws with stderr on failure. */
  exec(args: readonly string[], cwd?: string): string {
    const full = ['--root', this.root, '--runroot', this.runroot, '--storage-driver', this.driver, ...args];
    const r = spawnSync('buildah', full, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`buildah ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  /** Import image `ref` of the OCI layout `layout` and name it `name` (e.g. docker.io/stagex/core-busybox:latest). */
  importLayout(layout: string, ref: string, name: string): void {
    // buildah names a pulled oci: image after its path, which must then be lowercase:
    // pull through a fixed lowercase relative name
    const link = path.join(this.dir, 'import');
    rmSync(link, { force: true });
    symlinkSync(path.resolve(layout), link);
    const id = this.exec(['pull', '--quiet', `oci:import:${ref}`], this.dir).trim().split('\n').pop()!;
    rmSync(link, { force: true });
    this.exec(['tag', id, name]);
  }

  /** `buildah build --timestamp 0 --isolation chroot --pull-never [flags]`. */
  build(o: BuildahBuildOptions): void {
    const args = ['build', '--quiet', ...(o.flags ?? []), '--timestamp', '0', '--isolation', 'chroot', '--pull-never', '-f', o.containerfile, '-t', o.tag];
    for (const [k, v] of Object.entries(o.buildArgs ?? {}).sort()) args.push('--build-arg', `${k}=${v}`);
    if (o.target) args.push('--target', o.target);
    args.push(o.context);
    this.exec(args);
  }

  /** `buildah push NAME oci:DIR:REF` (gzip-compressed layers). */
  pushLayout(name: string, layout: string, ref: string): void {
    mkdirSync(path.dirname(path.resolve(layout)), { recursive: true });
    this.exec(['push', '--quiet', name, `oci:${layout}:${ref}`]);
  }

  /** Remove every image and the storage directory. */
  destroy(): void {
    try {
      this.exec(['rmi', '--all', '--force']);
    } catch {
      // the directory goes anyway
    }
    // never rm -rf through a mount that buildah left behind
    for (const m of mountsUnder(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Mount points under `dir`, shallowest first (from /proc/self/mounts). */
export function mountsUnder(dir: string): string[] {
  const prefix = `${path.resolve(dir)}/`;
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m.startsWith(prefix))
    .sort((a, b) => a.length - b.length);
}

/** `du -sb` of a directory, for reports. */
export function diskBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}
