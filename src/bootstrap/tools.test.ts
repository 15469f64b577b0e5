/**
 * The M0 tier of the bootstrap: M0 (written in hex2) and the tools written in M0 with
 * amd64.M0 (run, mkdir, cp, chmod). Every step is done twice — natively on this host by
 * the bootstrapped tools, starting from the seed, and by the TypeScript references —
 * and the results must be byte-identical. Then the tools are run natively and must
 * behave as documented. Binaries live only in temporary directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, testdata } from '../testutil/paths.js';
import { decodeHex0 } from './hex0.js';
import { assembleHex1 } from './hex1.js';
import { assembleHex2 } from './hex2.js';
import { assembleM0 } from './m0.js';
import { parseDefines } from './listing.js';
import { defineProblems } from './gas-check.js';
import { canRunNative, runTool } from './native-run.js';

const bootstrap = path.join(repoRoot, 'distribution', 'packages', 'bootstrap');
const read = (pkg: string, file: string): string => readFileSync(path.join(bootstrap, pkg, file), 'utf8');
const TOOLS = ['run', 'mkdir', 'cp', 'chmod', 'sha256sum'] as const;
/** What catm joins, in order, before M0 assembles a tool. */
const parts = (name: string): string[] => ['amd64.M0', 'elf-begin.M0', `${name}.M0`, 'elf-end.M0'];
const referenceTool = (name: string): Uint8Array =>
  assembleHex2(assembleM0(parts(name).map((f) => read('tools', f)).join(''), `${name}.M0`));

test('amd64.M0: every DEFINE is exactly the bytes of its annotated instruction (host assembler)', () => {
  const parsed = parseDefines(read('tools', 'amd64.M0'));
  assert.ok(parsed.defines.length > 50);
  assert.deepEqual(defineProblems(parsed), []);
});

test('amd64.M0: the check notices a wrong byte, a wrong operand size and a malformed line', () => {
  const bad = parseDefines('DEFINE pop_rax 59 # pop rax\nDEFINE mov_eax, B8 # mov eax, IMM8\nDEFINE x 1 # nop\n');
  const problems = defineProblems(bad);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0] ?? '', /^line 3: /);
});

test('the tools package: exec-form RUN only, built only by catm, M0 and hex2, one image per tool holding only it', () => {
  const text = read('tools', 'Containerfile');
  const instructions = text.split('\n').filter((l) => /^[A-Z]+\s/.test(l));
  for (const l of instructions) assert.match(l, /^(FROM scratch AS [\w-]+|COPY |RUN \[)/, l);
  const from = instructions.flatMap((l) => /--from=strata\/(\S+)/.exec(l)?.[1] ?? []);
  assert.deepEqual(from, ['bootstrap-catm', 'bootstrap-m0', 'bootstrap-hex2']);
  assert.match(read('tools', 'package.toml'), /^subpackages = \["run", "mkdir", "cp", "chmod", "sha256sum"\]$/m);
  for (const t of TOOLS) {
    const stage = text.split(/^FROM /m).find((s) => s.startsWith(`scratch AS package-${t}\n`));
    assert.ok(stage, `stage package-${t}`);
    assert.deepEqual(stage.split('\n').filter((l) => /^[A-Z]/.test(l)), [`COPY --from=build /bin/${t} /bin/${t}`]);
    // the build stage joins exactly parts(t), assembles and links it
    assert.ok(text.includes(`RUN ["/bin/catm", "/src/${t}.all.M0", ${parts(t).map((p) => `"/src/${p}"`).join(', ')}]`), t);
    assert.ok(text.includes(`RUN ["/bin/M0", "/src/${t}.all.M0", "/src/${t}.hex2"]`), t);
    assert.ok(text.includes(`RUN ["/bin/hex2", "/src/${t}.hex2", "/bin/${t}"]`), t);
  }
});

/** The tools as this host builds them from the seed, each step run natively. */
function nativeChain(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const step = (name: string, builder: Uint8Array, source: string | Uint8Array): Uint8Array => {
    const r = runTool(builder, source);
    assert.equal(r.status, 0, `${name} exits 0`);
    assert.ok(r.output, `${name} wrote its output`);
    out.set(name, r.output);
    return r.output;
  };
  const seed = decodeHex0(read('hex0', 'hex0.hex0'));
  const hex1 = step('hex1', step('hex0', seed, read('hex0', 'hex0.hex0')), read('hex1', 'hex1.hex0'));
  const hex2 = step('hex2', hex1, read('hex2', 'hex2.hex1'));
  const catm = step('catm', hex2, read('catm', 'catm.hex2'));
  const m0 = step('m0', hex2, read('m0', 'M0.hex2'));
  for (const t of TOOLS) {
    const joined = runTool(catm, '', (_in, outPath) => [outPath, ...parts(t).map((p) => path.join(bootstrap, 'tools', p))]);
    assert.equal(joined.status, 0);
    assert.ok(joined.output);
    out.set(`${t}.all.M0`, joined.output);
    const hex2Text = step(`${t}.hex2`, m0, joined.output);
    step(t, hex2, hex2Text);
  }
  return out;
}

const native = canRunNative ? nativeChain() : new Map<string, Uint8Array>();
const nativeTool = (name: string): Uint8Array => native.get(name) as Uint8Array;

test('M0 and the tools, built natively from the seed, equal the TypeScript references byte for byte', { skip: !canRunNative }, () => {
  assert.deepEqual(nativeTool('m0'), assembleHex2(read('m0', 'M0.hex2')));
  for (const t of TOOLS) {
    const joined = parts(t).map((f) => read('tools', f)).join('');
    assert.equal(Buffer.from(nativeTool(`${t}.all.M0`)).toString(), joined, `catm joined ${t}'s sources`);
    assert.equal(Buffer.from(nativeTool(`${t}.hex2`)).toString(), assembleM0(joined), `M0 on ${t}`);
    assert.deepEqual(nativeTool(t), referenceTool(t), t);
    // sha256sum carries 288 bytes of constants and unrolled state copies
    assert.ok(nativeTool(t).length < (t === 'sha256sum' ? 2048 : 1024), `${t} is small`);
  }
});

test('M0, run natively, equals the reference on every M0 source and on the corpus', { skip: !canRunNative }, () => {
  const sources = readdirSync(path.join(bootstrap, 'tools')).filter((f) => f.endsWith('.M0'));
  assert.deepEqual(sources.sort(), ['amd64.M0', 'chmod.M0', 'cp.M0', 'elf-begin.M0', 'elf-end.M0', 'mkdir.M0', 'run.M0', 'sha256sum.M0']);
  const inputs = sources.map((f) => read('tools', f));
  inputs.push(readFileSync(testdata('bootstrap', 'corpus.M0'), 'utf8'));
  inputs.push('', '# only a comment', 'DEFINE a 90\na', '!-1');
  for (const input of inputs) {
    const r = runTool(nativeTool('m0'), input);
    assert.equal(r.status, 0);
    assert.equal(r.mode, 0o700);
    assert.equal(Buffer.from(r.output ?? []).toString(), assembleM0(input), input.slice(0, 60));
  }
});

test('M0, run natively, exits non-zero when it cannot read its input', { skip: !canRunNative }, () => {
  const r = runTool(nativeTool('m0'), '', (_in, out) => [path.join(os.tmpdir(), 'strata-no-such-file'), out]);
  assert.notEqual(r.status, 0);
  assert.equal(r.output, undefined);
});

/** A temp dir with the native tools in bin/; `exec` runs one of them there. */
function workspace(): { dir: string; bin: (t: string) => string; exec: (tool: string, ...args: string[]) => number | null } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-tools-'));
  const binDir = path.join(dir, 'bin');
  mkdirSync(binDir);
  for (const t of TOOLS) {
    writeFileSync(path.join(binDir, t), nativeTool(t));
    chmodSync(path.join(binDir, t), 0o755);
  }
  const bin = (t: string): string => path.join(binDir, t);
  const exec = (tool: string, ...args: string[]): number | null =>
    spawnSync(bin(tool), args, { cwd: dir, stdio: 'ignore', timeout: 30_000 }).status;
  return { dir, bin, exec };
}

const mode = (p: string): number => statSync(p).mode & 0o7777;

test('mkdir, cp and chmod, run natively, do what they say and fail when they must', { skip: !canRunNative }, () => {
  const { dir, exec } = workspace();
  const at = (...p: string[]): string => path.join(dir, ...p);
  try {
    assert.equal(exec('mkdir', 'a', 'b'), 0);
    assert.ok(statSync(at('a')).isDirectory() && statSync(at('b')).isDirectory());
    assert.notEqual(exec('mkdir', 'a'), 0, 'an existing directory without -p');
    assert.notEqual(exec('mkdir', 'x/y'), 0, 'a missing parent without -p');
    assert.equal(exec('mkdir', '-p', 'x/y/z', 'a', 'x/y'), 0);
    assert.ok(statSync(at('x', 'y', 'z')).isDirectory());
    assert.equal(exec('mkdir', '-p', `${dir}/abs/olute`), 0);
    assert.ok(statSync(at('abs', 'olute')).isDirectory());

    const big = Buffer.alloc(10_000, 0).map((_, i) => (i * 7) & 0xff);
    writeFileSync(at('src'), big);
    chmodSync(at('src'), 0o750);
    assert.equal(exec('cp', 'src', 'x/y/z/dst'), 0);
    assert.deepEqual(readFileSync(at('x', 'y', 'z', 'dst')), big);
    assert.equal(mode(at('x', 'y', 'z', 'dst')), 0o750 & ~process.umask());
    writeFileSync(at('empty'), '');
    assert.equal(exec('cp', 'empty', 'x/y/z/dst'), 0, 'an existing file is truncated');
    assert.equal(readFileSync(at('x', 'y', 'z', 'dst')).length, 0);
    assert.notEqual(exec('cp', 'missing', 'never'), 0);
    assert.equal(existsSync(at('never')), false);

    assert.equal(exec('chmod', '4711', 'src', 'empty'), 0);
    assert.equal(mode(at('src')), 0o4711);
    assert.equal(mode(at('empty')), 0o4711);
    assert.equal(exec('chmod', '600', 'src'), 0);
    assert.equal(mode(at('src')), 0o600);
    assert.notEqual(exec('chmod', '8', 'src'), 0, 'not octal');
    assert.notEqual(exec('chmod', '7a', 'src'), 0, 'not octal');
    assert.equal(mode(at('src')), 0o600);
    assert.notEqual(exec('chmod'), 0, 'no mode');
    assert.notEqual(exec('chmod', '644', 'missing'), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run, run natively: a script that makes directories, copies and chmods; the first failing line stops it', { skip: !canRunNative }, () => {
  const { dir, bin, exec } = workspace();
  const at = (...p: string[]): string => path.join(dir, ...p);
  try {
    writeFileSync(at('hello'), 'hello\n');
    const script = [
      '# build a little tree',
      `${bin('mkdir')} -p out/bin   # parents too`,
      '',
      `\t${bin('cp')}  hello\tout/bin/hello`,
      `${bin('chmod')} 700 out/bin/hello#a comment right after`,
      '   # an indented comment',
      `${bin('mkdir')} out/bin`, // fails: it exists
      `${bin('mkdir')} never`,
    ].join('\n');
    writeFileSync(at('script'), script);
    assert.notEqual(exec('run', 'script'), 0);
    assert.equal(readFileSync(at('out', 'bin', 'hello'), 'utf8'), 'hello\n');
    assert.equal(mode(at('out', 'bin', 'hello')), 0o700);
    assert.equal(existsSync(at('never')), false, 'nothing runs after the failing line');

    writeFileSync(at('ok'), `${bin('mkdir')} one\n${bin('mkdir')} two`); // no final newline
    assert.equal(exec('run', 'ok'), 0);
    assert.ok(existsSync(at('one')) && existsSync(at('two')));

    writeFileSync(at('seven.sh'), 'exit 7\n');
    writeFileSync(at('status'), `/bin/sh seven.sh\n${bin('mkdir')} not-made\n`);
    assert.equal(exec('run', 'status'), 7, 'the failing command\'s exit status');
    writeFileSync(at('kill.sh'), 'kill -9 $$\n');
    writeFileSync(at('signal'), '/bin/sh kill.sh\n');
    assert.equal(exec('run', 'signal'), 128 + 9);
    writeFileSync(at('noexec'), `${dir}/no-such-program\n${bin('mkdir')} not-made\n`);
    assert.equal(exec('run', 'noexec'), 127);
    assert.equal(existsSync(at('not-made')), false);
    assert.notEqual(exec('run', 'no-such-script'), 0);
    writeFileSync(at('empty'), '\n# nothing\n\n');
    assert.equal(exec('run', 'empty'), 0);

    // run's environment is passed to each command unchanged
    writeFileSync(at('envscript'), '/usr/bin/env\n');
    const e = spawnSync(bin('run'), ['envscript'], { cwd: dir, encoding: 'utf8', env: { STRATA_X: 'y z' } });
    assert.equal(e.status, 0);
    assert.equal(e.stdout, 'STRATA_X=y z\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sha256sum, run natively, agrees with node:crypto at every padding boundary and on large files', { skip: !canRunNative }, () => {
  const { dir, bin } = workspace();
  try {
    const sizes = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 4095, 4096, 4097, 300_001];
    const files = sizes.map((n) => {
      const f = path.join(dir, `f${n}`);
      writeFileSync(f, Buffer.alloc(n).map((_, i) => (i * 131 + n) & 0xff));
      return f;
    });
    writeFileSync(path.join(dir, 'abc'), 'abc'); // FIPS 180-4's example
    files.push(path.join(dir, 'abc'), 'abc'); // an absolute and a relative name
    const r = spawnSync(bin('sha256sum'), files, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const sha = (f: string): string => createHash('sha256').update(readFileSync(path.resolve(dir, f))).digest('hex');
    assert.equal(r.stdout, files.map((f) => `${sha(f)}  ${f}\n`).join(''));
    assert.ok(r.stdout.endsWith('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc\n'));

    // the bootstrapped tools, hashed by the bootstrapped sha256sum
    const own = spawnSync(bin('sha256sum'), TOOLS.map((t) => bin(t)), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(own.stdout, TOOLS.map((t) => `${sha(bin(t))}  ${bin(t)}\n`).join(''));

    // no FILE: nothing, exit 0; a missing FILE: what came before is printed, then non-zero
    const none = spawnSync(bin('sha256sum'), [], { encoding: 'utf8' });
    assert.equal(none.status, 0);
    assert.equal(none.stdout, '');
    const missing = spawnSync(bin('sha256sum'), ['abc', 'no-such-file', 'f0'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.equal(missing.stdout, `${sha('abc')}  abc\n`);
    const directory = spawnSync(bin('sha256sum'), [dir], { encoding: 'utf8' });
    assert.notEqual(directory.status, 0, 'reading a directory fails');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
