/**
 * The reference build of the bootstrap: the same Containerfiles, interpreted without a
 * sandbox, where every exec-form RUN of a bootstrap tool is replaced by the TypeScript
 * reference of that tool (src/bootstrap/hex0.ts, hex1.ts, hex2.ts, m0.ts; catm is a
 * concatenation). A tool is recognised only by its exact bytes, which the references
 * themselves produce from the tool's source (`referenceTools`), so the chain of images
 * computed here never runs a bootstrapped binary. The result — every image's files,
 * bytes and modes — is what the real, sandboxed build must ship, byte for byte.
 *
 * Pure: the tree's files come in through `ReferenceInputs`.
 */
import type { CopyInstruction, Instruction, RunInstruction, Stage } from '../containerfile/types.js';
import { decodeHex0 } from '../bootstrap/hex0.js';
import { assembleHex1 } from '../bootstrap/hex1.js';
import { assembleHex2 } from '../bootstrap/hex2.js';
import { assembleM0 } from '../bootstrap/m0.js';
import type { Plan } from '../plan/types.js';
import type { PackageDef } from '../tree/types.js';

/** A regular file of a simulated file system. */
export interface RefFile {
  readonly bytes: Uint8Array;
  readonly mode: number;
}

/** Files only, by path without a leading '/'; directories are the files' parents. */
export type RefFiles = Map<string, RefFile>;

/** Mode of every file a bootstrap tool writes (each opens its output with 0700). */
export const TOOL_OUTPUT_MODE = 0o700;

export interface ReferenceTool {
  readonly name: string;
  /** The tool's binary as the references build it from its source. */
  readonly binary: Uint8Array;
  /** The tool's behaviour: argv without argv[0], file reads and writes by absolute path. */
  readonly run: (args: readonly string[], read: (p: string) => Uint8Array, write: (p: string, bytes: Uint8Array) => void) => void;
}

/** A source file of a bootstrap package, as text. */
export type ReadSource = (pkg: string, file: string) => string;

const enc = new TextEncoder();

function inOut(name: string, translate: (input: Uint8Array, file: string) => Uint8Array): ReferenceTool['run'] {
  return (args, read, write) => {
    if (args.length !== 2) throw new Error(`${name} takes INPUT OUTPUT, got ${args.length} arguments`);
    write(args[1]!, translate(read(args[0]!), args[0]!));
  };
}

/** The assemblers of the chain, each binary built by the reference of the tool before it. */
export function referenceTools(read: ReadSource): ReferenceTool[] {
  return [
    { name: 'hex0', binary: decodeHex0(read('hex0', 'hex0.hex0')), run: inOut('hex0', (b, f) => decodeHex0(b, f)) },
    { name: 'hex1', binary: decodeHex0(read('hex1', 'hex1.hex0')), run: inOut('hex1', (b, f) => assembleHex1(b, f)) },
    { name: 'hex2', binary: assembleHex1(read('hex2', 'hex2.hex1')), run: inOut('hex2', (b) => assembleHex2(b)) },
    {
      name: 'catm',
      binary: assembleHex2(read('catm', 'catm.hex2')),
      run: (args, readFile, write) => {
        if (args.length < 1) throw new Error('catm takes OUTPUT INPUT...');
        write(args[0]!, new Uint8Array(Buffer.concat(args.slice(1).map(readFile))));
      },
    },
    { name: 'M0', binary: assembleHex2(read('m0', 'M0.hex2')), run: inOut('M0', (b, f) => enc.encode(assembleM0(b, f))) },
  ];
}

/** A file of a package's build context. */
export interface ContextFile {
  readonly bytes: Uint8Array;
  /** Whether the checkout's file has an execute bit (COPY normalises to 0644/0755). */
  readonly executable: boolean;
}

export interface ReferenceInputs {
  readonly plan: Plan;
  readonly packages: ReadonlyMap<string, PackageDef>;
  /** A file of a package directory, relative to it; undefined when there is none. */
  readonly contextFile: (pkg: PackageDef, rel: string) => ContextFile | undefined;
  /** The decoded seed of a package with a [seed] table (placed in its context as [seed].file). */
  readonly seedBytes: (pkg: PackageDef) => Uint8Array;
  readonly tools: readonly ReferenceTool[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function where(pkg: PackageDef, ins: { readonly loc: { line: number; col: number } }): string {
  return `${pkg.containerfilePath}:${ins.loc.line}:${ins.loc.col}`;
}

/** '/a/b' relative to cwd, normalised, without the leading '/'. */
function resolvePath(cwd: string, p: string): string {
  const parts = (p.startsWith('/') ? p : `${cwd}/${p}`).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

function isDir(fs: RefFiles, p: string): boolean {
  if (p === '') return true;
  for (const k of fs.keys()) if (k.startsWith(`${p}/`)) return true;
  return false;
}

function literal(word: string, pkg: PackageDef, ins: Instruction): string {
  if (/[$*?[\\]/.test(word)) throw new Error(`${where(pkg, ins)}: the reference build does not model '${word}' (variables, globs, escapes)`);
  return word;
}

/** Simulates every image of the plan; image name → its files. */
export function referenceImages(input: ReferenceInputs): Map<string, RefFiles> {
  const images = new Map<string, RefFiles>();
  const ns = input.plan.namespace;
  for (const name of input.plan.order) {
    const planned = input.plan.images.find((i) => i.name === name)!;
    const pkg = input.packages.get(planned.packageId);
    if (!pkg?.containerfile) throw new Error(`${name}: package ${planned.packageId} has no parsed Containerfile`);
    const stages = new Map<number, RefFiles>();
    const stageIndex = (ref: string): number | undefined => {
      const byName = pkg.containerfile!.stages.find((s) => s.name === ref.toLowerCase());
      if (byName) return byName.index;
      return /^\d+$/.test(ref) ? Number(ref) : undefined;
    };
    const imageOf = (ref: string, ins: Instruction): RefFiles => {
      const prefix = `${ns}/`;
      const img = ref.startsWith(prefix) ? images.get(ref.slice(prefix.length)) : undefined;
      if (!img) throw new Error(`${where(pkg, ins)}: '${ref}' is neither a stage nor an image built before ${name}`);
      return img;
    };
    const runStage = (stage: Stage): RefFiles => {
      let fs: RefFiles;
      const from = stage.from.image;
      if (from === 'scratch') fs = new Map();
      else {
        const idx = stageIndex(from);
        fs = new Map(idx !== undefined && idx < stage.index ? stages.get(idx)! : imageOf(from, stage.from));
      }
      let cwd = '';
      for (const ins of stage.instructions) {
        if (ins.kind === 'WORKDIR') cwd = resolvePath(`/${cwd}`, literal(ins.path, pkg, ins));
        else if (ins.kind === 'COPY') copy(fs, ins, cwd);
        else if (ins.kind === 'RUN') run(fs, ins, cwd);
        else throw new Error(`${where(pkg, ins)}: the reference build does not model ${ins.kind}`);
      }
      return fs;
    };
    const copy = (fs: RefFiles, ins: CopyInstruction, cwd: string): void => {
      if (ins.chown !== undefined || ins.heredocs.length) throw new Error(`${where(pkg, ins)}: the reference build does not model --chown or heredocs`);
      const chmod = ins.chmod === undefined ? undefined : parseInt(literal(ins.chmod, pkg, ins), 8);
      const dest = literal(ins.dest, pkg, ins);
      const destPath = resolvePath(`/${cwd}`, dest);
      const intoDir = dest.endsWith('/') || ins.sources.length > 1 || isDir(fs, destPath);
      const put = (rel: string, file: RefFile): void => {
        const slash = rel.lastIndexOf('/');
        const target = intoDir ? resolvePath(`/${destPath}`, rel.slice(slash + 1)) : destPath;
        fs.set(target, { bytes: file.bytes, mode: chmod ?? file.mode });
      };
      let source: RefFiles | undefined;
      if (ins.from !== undefined) {
        const idx = stageIndex(ins.from);
        source = idx !== undefined ? stages.get(idx) : imageOf(ins.from, ins);
        if (!source) throw new Error(`${where(pkg, ins)}: stage ${ins.from} is not built before this one`);
      }
      for (const word of ins.sources) {
        const src = literal(word, pkg, ins);
        if (source) {
          const p = resolvePath('/', src);
          const f = source.get(p);
          if (!f) throw new Error(`${where(pkg, ins)}: ${ins.from} has no file /${p} (the reference build copies files only)`);
          put(p, f);
        } else {
          const rel = resolvePath('/', src);
          if (pkg.seed && rel === pkg.seed.file) {
            put(rel, { bytes: input.seedBytes(pkg), mode: 0o644 });
            continue;
          }
          const c = input.contextFile(pkg, rel);
          if (!c) throw new Error(`${where(pkg, ins)}: the context has no file ${rel}`);
          put(rel, { bytes: c.bytes, mode: c.executable ? 0o755 : 0o644 });
        }
      }
    };
    const run = (fs: RefFiles, ins: RunInstruction, cwd: string): void => {
      if (ins.command.form !== 'exec') throw new Error(`${where(pkg, ins)}: only exec-form RUN is modelled (there is no shell)`);
      const [exe, ...args] = ins.command.argv.map((a) => literal(a, pkg, ins));
      const exePath = resolvePath(`/${cwd}`, exe!);
      const binary = fs.get(exePath);
      if (!binary) throw new Error(`${where(pkg, ins)}: /${exePath} does not exist`);
      if ((binary.mode & 0o111) === 0) throw new Error(`${where(pkg, ins)}: /${exePath} is not executable (mode ${binary.mode.toString(8)})`);
      const tool = input.tools.find((t) => sameBytes(t.binary, binary.bytes));
      if (!tool) throw new Error(`${where(pkg, ins)}: /${exePath} is none of the reference tools (${input.tools.map((t) => t.name).join(', ')})`);
      const read = (p: string): Uint8Array => {
        const f = fs.get(resolvePath(`/${cwd}`, p));
        if (!f) throw new Error(`${where(pkg, ins)}: ${tool.name} reads ${p}, which does not exist`);
        return f.bytes;
      };
      const write = (p: string, bytes: Uint8Array): void => {
        fs.set(resolvePath(`/${cwd}`, p), { bytes, mode: TOOL_OUTPUT_MODE });
      };
      tool.run(args, read, write);
    };
    for (const stage of pkg.containerfile.stages) {
      if (stage.index > planned.targetIndex) break;
      stages.set(stage.index, runStage(stage));
    }
    images.set(name, stages.get(planned.targetIndex)!);
  }
  return images;
}

/** The directories an image of `files` holds: every parent of a file. */
export function parentDirs(files: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}
