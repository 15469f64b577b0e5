/**
 * A generator of StageX-shaped trees, for the realistic corpus (testdata/trees/stagex-shaped)
 * and the plan benchmark (bench/plan). Pure and deterministic: the same options give the
 * same files, byte for byte. Returns the files and what the planner must find (images and
 * their dependencies), so callers can check the plan against it.
 *
 * The recipes are synthetic (they are never built): multi-stage, heredocs everywhere,
 * `ADD fetch/${…_SOURCE} .`, `COPY --from=<ns>/…` lists, subpackages (`package-<sub>`
 * targets), version_from pallets, platform ARGs, and unused stages whose references must
 * not become dependencies.
 */

export interface SyntheticTreeOptions {
  /** Number of packages (≥ 8). */
  readonly packages: number;
  /** Length of the longest dependency chain, in images (levels 0 … depth-1). */
  readonly depth: number;
  /** How many images depend on the shared base image (core-busybox). */
  readonly sharedBy: number;
  /** PRNG seed. */
  readonly seed: number;
  readonly namespace?: string;
  /** Every n-th package declares subpackages (0: none). Default 9. */
  readonly subpackageEvery?: number;
  /**
   * Add unused stages (FROM some image AS test) whose references must not become
   * dependencies. Default true; the benchmark turns them off so that its regex-only peer
   * (which does not walk stages) computes the same graph.
   */
  readonly decoys?: boolean;
}

export interface SyntheticTree {
  /** Relative path → content. */
  readonly files: Readonly<Record<string, string>>;
  /** Image name → sorted dependency image names, as the planner must find them. */
  readonly images: Readonly<Record<string, readonly string[]>>;
  /** Number of packages written. */
  readonly packageCount: number;
}

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ONSETS = ['b', 'br', 'c', 'cl', 'd', 'dr', 'f', 'fl', 'g', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'pl', 'qu', 'r', 's', 'st', 't', 'tr', 'v', 'w', 'x', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'y', 'ai', 'ou'];
const CODAS = ['', 'n', 'x', 'l', 'm', 'r', 'sh', 'ck', 'z', 'p'];
const SUFFIXES = ['', '', '', 'lib', 'utils', 'ng', 'fs', 'ssl', 'db', '2', 'kit', 'tools'];
const LICENSES = ['MIT', 'BSD-3-Clause', 'GPL-2.0-only', 'LGPL-2.1-or-later', 'Apache-2.0', 'Zlib', 'ISC', 'MPL-2.0'];
const FORMATS = ['tar.gz', 'tar.xz', 'tar.bz2', 'tar.zst'];

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Pkg {
  readonly stage: string;
  readonly name: string;
  readonly rank: number;
  /** Images the build stage needs. */
  readonly deps: string[];
  readonly subpackages: string[];
  readonly versionFrom: string | undefined;
  readonly platformArgs: boolean;
}

export function generateSyntheticTree(opts: SyntheticTreeOptions): SyntheticTree {
  const ns = opts.namespace ?? 'stagex';
  const rand = prng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const depth = Math.max(3, opts.depth);
  const n = Math.max(8, opts.packages);
  const subEvery = opts.subpackageEvery ?? 9;

  const used = new Set<string>(['busybox', 'filesystem', 'stage0', 'stage1', 'stage2']);
  const freshName = (): string => {
    for (;;) {
      const syl = 1 + Math.floor(rand() * 2);
      let s = '';
      for (let i = 0; i < syl; i++) s += pick(ONSETS) + pick(VOWELS) + pick(CODAS);
      s += pick(SUFFIXES);
      if (!used.has(s) && s.length >= 3) {
        used.add(s);
        return s;
      }
    }
  };

  // Fixed roots: the bootstrap chain and the shared base image.
  const pkgs: Pkg[] = [
    { stage: 'bootstrap', name: 'stage0', rank: 0, deps: [], subpackages: [], versionFrom: undefined, platformArgs: false },
    { stage: 'bootstrap', name: 'stage1', rank: 1, deps: ['bootstrap-stage0'], subpackages: [], versionFrom: undefined, platformArgs: false },
    { stage: 'core', name: 'busybox', rank: 2, deps: ['bootstrap-stage1'], subpackages: [], versionFrom: undefined, platformArgs: false },
    { stage: 'core', name: 'filesystem', rank: 0, deps: [], subpackages: [], versionFrom: undefined, platformArgs: false },
  ];
  // images by rank (an image's level is its rank: it always depends on one of rank-1)
  const imagesAtRank: string[][] = [['bootstrap-stage0', 'core-filesystem'], ['bootstrap-stage1'], ['core-busybox']];
  const imageRank = new Map<string, number>([['bootstrap-stage0', 0], ['core-filesystem', 0], ['bootstrap-stage1', 1], ['core-busybox', 2]]);

  const rest = n - pkgs.length;
  const palletCount = Math.max(1, Math.floor(rest / 25));
  const regular = rest - palletCount;
  // the first `depth - 3` regular packages form the long chain ranks 3 … depth-1
  let nonSharedLeft = Math.max(0, regular + palletCount - opts.sharedBy);
  const nonSharedStep = nonSharedLeft > 0 ? Math.max(1, Math.floor(regular / nonSharedLeft)) : 1;
  for (let i = 0; i < regular; i++) {
    const chain = i < depth - 3;
    const rank = chain ? 3 + i : 3 + Math.floor(rand() * Math.max(1, Math.min(depth - 3, i) - 1));
    const stage = rank <= 4 && rand() < 0.15 ? 'bootstrap' : rank > depth * 0.7 && rand() < 0.6 ? 'user' : 'core';
    const name = freshName();
    const prev = chain && i > 0 ? [imagesAtRank[rank - 1]![imagesAtRank[rank - 1]!.length - 1]!] : [pick(imagesAtRank[rank - 1]!)];
    const deps = new Set<string>(prev);
    const extra = Math.floor(rand() * 4);
    for (let k = 0; k < extra; k++) {
      const r = Math.floor(rand() * rank);
      const cand = imagesAtRank[r];
      if (cand && cand.length) deps.add(pick(cand));
    }
    // the shared base: exactly `sharedBy` packages use core-busybox (FROM it); the others
    // start FROM scratch, spread evenly over the regular packages
    if (nonSharedLeft > 0 && i % nonSharedStep === nonSharedStep - 1) {
      nonSharedLeft--;
      deps.delete('core-busybox');
    } else deps.add('core-busybox');
    if (deps.size === 0) deps.add(prev[0]!);
    const subpackages = subEvery > 0 && i % subEvery === subEvery - 1 && !chain ? [name, `${name}-libs`] : [];
    for (const s of subpackages) used.add(s);
    const p: Pkg = { stage, name, rank, deps: [...deps].sort(byName), subpackages, versionFrom: undefined, platformArgs: rand() < 0.3 };
    pkgs.push(p);
    const imgs = subpackages.length ? subpackages.map((s) => `${stage}-${s}`) : [`${stage}-${name}`];
    for (const img of imgs) {
      (imagesAtRank[rank] ??= []).push(img);
      imageRank.set(img, rank);
    }
  }
  // pallets: version_from a core package, COPY --from a list of images
  const cores = pkgs.filter((p) => p.stage === 'core' && p.subpackages.length === 0 && p.name !== 'filesystem');
  for (let i = 0; i < palletCount; i++) {
    const base = pick(cores);
    const name = used.has(base.name) && !pkgs.some((p) => p.stage === 'pallet' && p.name === base.name) ? base.name : freshName();
    const deps = new Set<string>([`core-${base.name}`, 'core-filesystem']);
    const k = 2 + Math.floor(rand() * 5);
    for (let j = 0; j < k; j++) deps.add(pick([...imageRank.keys()]));
    deps.add('core-busybox');
    pkgs.push({ stage: 'pallet', name, rank: 0, deps: [...deps].sort(byName), subpackages: [], versionFrom: `core-${base.name}`, platformArgs: false });
  }

  const files: Record<string, string> = {};
  const images: Record<string, string[]> = {};
  files['strata.toml'] = `# A synthetic StageX-shaped tree (generated by strata's synthetic-tree generator).\nnamespace = "${ns}"\nsource_date_epoch = 1\nplatform = "linux/amd64"\n`;
  const allImages = [...imageRank.keys()];
  for (const p of pkgs) {
    const dir = `packages/${p.stage}/${p.name}`;
    const version = `${1 + Math.floor(rand() * 9)}.${Math.floor(rand() * 30)}.${Math.floor(rand() * 12)}`;
    const format = pick(FORMATS);
    const hex = (): string => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
    const withPatch = rand() < 0.25;
    files[`${dir}/package.toml`] = packageToml(p, version, format, hex(), withPatch ? hex() : undefined, pick(LICENSES));
    // an unused stage referencing some image: must not become a dependency
    const decoyRoll = rand();
    const decoyImage = pick(allImages);
    const decoy = (opts.decoys ?? true) && decoyRoll < 0.3 ? decoyImage : undefined;
    files[`${dir}/Containerfile`] = containerfile(ns, p, decoy, withPatch);
    if (p.subpackages.length) {
      const [main, libs] = p.subpackages as [string, string];
      images[`${p.stage}-${main}`] = [...new Set([...p.deps, 'core-filesystem'])].sort(byName);
      images[`${p.stage}-${libs}`] = [...p.deps].sort(byName);
    } else {
      images[`${p.stage}-${p.name}`] = p.stage === 'pallet' || p.rank < 3 ? [...p.deps] : [...new Set([...p.deps, 'core-filesystem'])].sort(byName);
    }
  }
  return { files, images, packageCount: pkgs.length };
}

function packageToml(p: Pkg, version: string, format: string, hash: string, patchHash: string | undefined, license: string): string {
  const lines = ['[package]', `name = "${p.name}"`];
  if (p.versionFrom) lines.push(`version_from = "${p.versionFrom}"`);
  else lines.push(`version = "${version}"`);
  lines.push(`description = "The ${p.name} ${p.stage === 'pallet' ? 'pallet' : 'package'} (synthetic)"`);
  lines.push(`license = "${license}"`, `website = "https://${p.name}.example.invalid"`);
  if (p.subpackages.length) lines.push(`subpackages = [${p.subpackages.map((s) => `"${s}"`).join(', ')}]`);
  if (p.platformArgs) lines.push('platforms = ["linux/amd64", "linux/arm64"]');
  if (p.stage !== 'pallet') {
    lines.push('', `[sources.${p.name}]`, `hash = "${hash}"`, `format = "${format}"`, `file = "${p.name}-{version}.{format}"`);
    lines.push('mirrors = [', `  "https://dl.example.invalid/${p.name}/{file}",`, `  "https://archive.example.invalid/${p.name}/v{version_major}/${p.name}-{version_under}.{format}",`, ']');
    if (patchHash) {
      lines.push('', `[sources.${p.name}-fixes]`, `version = "1"`, `hash = "${patchHash}"`, `file = "${p.name}-fixes-{version}.patch"`, `mirrors = ["https://patches.example.invalid/${p.name}/{file}"]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function argName(id: string): string {
  return id.toUpperCase().replace(/[-.]/g, '_');
}

function containerfile(ns: string, p: Pkg, decoy: string | undefined, withPatch: boolean): string {
  const id = argName(p.name);
  const out: string[] = [];
  const copies = (deps: readonly string[]): string[] => deps.map((d) => `COPY --from=${ns}/${d} . /`);
  if (p.stage === 'pallet') {
    out.push('FROM scratch');
    out.push(...copies(p.deps));
    out.push('COPY <<-EOF /etc/motd', `\t${p.name} pallet`, '\tEOF');
    return `${out.join('\n')}\n`;
  }
  const base = p.deps.includes('core-busybox') ? `${ns}/core-busybox` : 'scratch';
  const others = p.deps.filter((d) => d !== 'core-busybox');
  out.push('# syntax=docker/dockerfile:1');
  if (p.platformArgs) out.push(`FROM --platform=$BUILDPLATFORM ${base} AS fetch`);
  else out.push(`FROM ${base} AS fetch`);
  out.push(`ARG ${id}_SOURCE`);
  out.push(`ADD fetch/\${${id}_SOURCE} .`);
  if (withPatch) out.push(`ARG ${id}_FIXES_SOURCE`, `ADD fetch/\${${id}_FIXES_SOURCE} /patches/`);
  out.push('', 'FROM fetch AS build');
  out.push(...copies(others));
  out.push('ARG VERSION');
  if (p.platformArgs) out.push('ARG TARGETARCH');
  out.push('ENV SOURCE_DATE_EPOCH=1');
  out.push(`WORKDIR /${p.name}-\${VERSION}`);
  out.push('RUN --network=none <<-EOF', '\tset -eux', ...(withPatch ? ['\tfor p in /patches/*.patch; do patch -p1 < "$p"; done'] : []));
  if (p.platformArgs) out.push('\tcase "${TARGETARCH}" in', '\t\tamd64) host=x86_64 ;;', '\t\tarm64) host=aarch64 ;;', '\tesac');
  out.push('\t./configure --prefix=/usr --disable-static', '\tmake -j"$(nproc)"', '\tEOF');
  out.push('RUN --network=none <<EOF', 'make DESTDIR=/rootfs install', 'find /rootfs -name "*.la" -delete', 'EOF');
  if (decoy) {
    out.push('', `FROM ${ns}/${decoy} AS test`, 'COPY --from=build /rootfs/ /', 'RUN <<EOF', 'make check || true', 'EOF');
  }
  if (p.rank < 3) {
    out.push('', 'FROM scratch AS package', 'COPY --from=build /rootfs/ /');
    return `${out.join('\n')}\n`;
  }
  if (p.subpackages.length) {
    const [main, libs] = p.subpackages as [string, string];
    out.push('', `FROM ${ns}/core-filesystem AS package-${main}`, 'COPY --from=build /rootfs/usr/bin/ /usr/bin/');
    out.push(`COPY <<EOF1 <<EOF2 /usr/share/${main}/`, `${main}`, 'EOF1', 'synthetic', 'EOF2');
    out.push('', `FROM scratch AS package-${libs}`, 'COPY --from=build /rootfs/usr/lib/ /usr/lib/');
    return `${out.join('\n')}\n`;
  }
  out.push('', `FROM ${ns}/core-filesystem AS package`, 'COPY --from=build /rootfs/ /');
  out.push(`LABEL org.opencontainers.image.title="${p.name}"`);
  return `${out.join('\n')}\n`;
}
