import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../main.js';
import { bufferIO } from '../io.js';
import { testdata, cliPath, repoRoot } from '../../testutil/paths.js';

const small = testdata('trees', 'small');

async function plan(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(['plan', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test('plan --json prints the documented shape', async () => {
  const r = await plan('--tree', small, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.deepEqual(JSON.parse(r.out), JSON.parse(readFileSync(path.join(small, 'expected.json'), 'utf8')));
  assert.ok(r.out.endsWith('}\n'));
});

test('plan prints a table by level', async () => {
  const r = await plan('--tree', small);
  assert.equal(r.code, 0);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^LEVEL\s+IMAGE\s+VERSION\s+DEPS$/);
  assert.match(lines[1]!, /^0\s+bootstrap-stage0\s+1\.0\s+0$/);
  assert.match(r.out, /\n4\s+pallet-gcc\s+13\.2\.0\s+4\n/);
  assert.match(r.out, /6 images in 5 levels\n$/);
});

test('plan --rdeps adds reverse dependencies', async () => {
  const j = JSON.parse((await plan('--tree', small, '--json', '--rdeps')).out) as { packages: { name: string; rdeps: string[] }[] };
  const musl = j.packages.find((p) => p.name === 'core-musl')!;
  assert.deepEqual(musl.rdeps, ['core-gcc', 'core-libgcc', 'pallet-gcc']);
  const t = await plan('--tree', small, '--rdeps');
  assert.match(t.out, /core-musl\s+1\.2\.5\s+1\s+core-gcc,core-libgcc,pallet-gcc\n/);
});

test('plan IMAGE restricts to its closure; an unknown image exits 2 naming close matches', async () => {
  const r = await plan('--tree', small, '--json', 'core-musl');
  assert.equal(r.code, 0);
  assert.deepEqual((JSON.parse(r.out) as { order: string[] }).order, ['bootstrap-stage0', 'core-busybox', 'core-musl']);
  const bad = await plan('--tree', small, 'core-mussl');
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /no image 'core-mussl' in this tree — did you mean core-musl/);
});

test('a broken tree: one line on stderr, exit 2, nothing on stdout', async () => {
  const r = await plan('--tree', testdata('trees', 'missing-dep'));
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.equal(r.err.trimEnd().split('\n').length, 1);
  assert.match(r.err, /missing-dep\/packages\/core\/a\/Containerfile:3:1: FROM stagex\/core-zlibb: no such image/);
});

test('--keep-going prints the plan of the rest and every error, exit 2', async () => {
  const r = await plan('--tree', testdata('trees', 'keep-going'), '--keep-going', '--json');
  assert.equal(r.code, 2);
  assert.deepEqual((JSON.parse(r.out) as { order: string[] }).order, ['core-busybox', 'core-make']);
  assert.equal(r.err.trimEnd().split('\n').length, 5);
});

test('usage errors exit 2', async () => {
  const r = await plan('--nope');
  assert.equal(r.code, 2);
  assert.match(r.err, /plan --help/);
});

test('the compiled CLI runs plan with relative paths in errors', () => {
  const r = spawnSync(process.execPath, [cliPath, 'plan', '--tree', path.join('testdata', 'trees', 'cycle')], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'testdata/trees/cycle/packages/core/a/Containerfile:3:6: dependency cycle: core-a → core-b → core-c → core-a — an image cannot depend on itself, directly or through others: remove one of these FROM/COPY --from references\n');
});

/** Every module the compiled file imports (statically, with import() or a require), transitively. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\)\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const p = path.resolve(path.dirname(file), spec);
        if (existsSync(p)) stack.push(p);
      } else seen.add(`pkg:${spec}`);
    }
  }
  return seen;
}

test('strata plan does not load OpenPGP or compression modules', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const graph = importGraph(path.join(here, 'plan.js'));
  const pkgs = [...graph].filter((m) => m.startsWith('pkg:')).sort();
  assert.ok(pkgs.includes('pkg:smol-toml'), pkgs.join(' '));
  assert.ok(!pkgs.some((p) => p.startsWith('pkg:openpgp')), `plan imports openpgp: ${pkgs.join(' ')}`);
  // nor the layer compressors (the native deflate and zstd addons and their JS sides)
  const tarModules = [...graph].filter((m) => /[\\/]tar[\\/](block-deflate|zstd-native|zstd-frame|pinned-gzip|native-addon)\.js$/.test(m));
  assert.deepEqual(tarModules, [], 'plan imports a layer compressor');
  // and at run time: a resolve hook reports every package module the process imports, and
  // the probe lists the CommonJS modules it required (smol-toml is required lazily, only
  // for a package.toml outside the plain subset: the second tree has one)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-probe-'));
  try {
    const pkg = path.join(dir, 'tree', 'packages', 'core', 'a');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.toml'), '[package]\nname = "a"\nversion = "1"\ndescription = "needs the \\"full\\" parser"\n');
    writeFileSync(path.join(pkg, 'Containerfile'), 'FROM scratch\n');
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(probe, [
      `import { createRequire } from 'node:module';`,
      `import { main } from ${JSON.stringify(pathToFileURL(cliPath).href)};`,
      `import { bufferIO } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'cli', 'io.js')).href)};`,
      `for (const tree of [${JSON.stringify(small)}, ${JSON.stringify(path.join(dir, 'tree'))}]) console.log(await main(['plan', '--tree', tree, '--json'], bufferIO()));`,
      `for (const m of Object.keys(createRequire(import.meta.url).cache)) if (m.includes('/node_modules/') || m.endsWith('.node')) process.stderr.write('REQUIRED ' + m + '\\n');`,
    ].join('\n'));
    const hook = 'data:text/javascript,export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes("/node_modules/")) process.stderr.write("LOADED " + r.url + "\\n"); return r; }';
    const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', hook, probe], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '0\n0', r.stderr);
    assert.match(r.stderr, /REQUIRED .*smol-toml/, 'the probe sees package modules');
    assert.doesNotMatch(r.stderr, /openpgp|\.node\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
