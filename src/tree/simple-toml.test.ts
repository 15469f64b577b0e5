/**
 * parseSimpleToml must equal smol-toml on every document it accepts, and accept the
 * package.toml files strata trees are made of (else it would never pay for itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse as smolParse } from 'smol-toml';
import { parseSimpleToml } from './simple-toml.js';
import { testdata } from '../testutil/paths.js';

function full(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: smolParse(text) };
  } catch {
    return { ok: false };
  }
}

function agrees(text: string): boolean {
  const fast = parseSimpleToml(text);
  if (fast === undefined) return false;
  const ref = full(text);
  assert.ok(ref.ok, `accepted a document smol-toml rejects: ${JSON.stringify(text)}`);
  assert.deepEqual(fast, ref.value, JSON.stringify(text));
  return true;
}

function tomlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tomlFiles(p, out);
    else if (e.name.endsWith('.toml')) out.push(p);
  }
  return out;
}

test('every .toml file under testdata/ is read like smol-toml, and the plain ones take the fast path', () => {
  const files = tomlFiles(testdata());
  let fast = 0;
  for (const f of files) if (agrees(readFileSync(f, 'utf8'))) fast++;
  assert.ok(fast >= files.length * 0.9, `fast path took only ${fast} of ${files.length}`);
});

test('the subset: headers, strings, string arrays over lines, integers, booleans, comments', () => {
  const doc = '# c\n[package]\nname = "zlib" # c\nv = \'1.3\'\nsubs=["a",\n  \'b\', # c\n\n]\nn = 0\nt = true\n\n[sources.zlib]\nmirrors = []\n[a.b]\n[a]\nx = 12\n';
  assert.ok(agrees(doc));
  assert.deepEqual(parseSimpleToml(doc), {
    package: { name: 'zlib', v: '1.3', subs: ['a', 'b'], n: 0, t: true },
    sources: { zlib: { mirrors: [] } },
    a: { b: {}, x: 12 },
  });
});

test('outside the subset it declines (undefined), whether the document is valid or not', () => {
  for (const doc of [
    'a = "x\\ty"\n', 'a = """x"""\n', "a = '''x'''\n", 'a.b = "x"\n', '"a" = "x"\n', 'a = { b = "x" }\n', '[[a]]\n',
    'a = 1.5\n', 'a = 1979-05-27\n', 'a = "x"\r\n', 'a = -1\n', 'a = 1_000\n', 'a = 9007199254740993\n', 'a = [1]\n',
    'a = "x"\na = "y"\n', '[a]\n[a]\n', '[a]\nb = "x"\n[a.b]\n', '__proto__ = "x"\n', 'a = "x" b = "y"\n', 'a = "x\n',
    'a = [\n"x"\n', '\uFEFFa = "x"\n', 'a = "\u0001"\n', '[a\n', 'a =\n', '= "x"\n', 'a = ["x" "y"]\n', 'a = [,]\n',
  ]) {
    assert.equal(parseSimpleToml(doc), undefined, JSON.stringify(doc));
  }
});

test('on generated documents it agrees with smol-toml whenever it accepts', () => {
  const token = fc.constantFrom('[', ']', '[[', '.', '=', ' ', '\t', '\n', '#', ',', '"', "'", 'a', 'b', 'x-1', '_', '0', '12', 'true',
    'false', '"s"', "'l\\'", '"é"', '[]', '"a b"', '\\', '{', '}', '-', '__proto__', '"""', 'é', '01');
  const line = fc.array(token, { maxLength: 7 }).map((ts) => ts.join(''));
  let accepted = 0;
  fc.assert(fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
    if (agrees(lines.join('\n'))) accepted++;
  }), { numRuns: 3000 });
  const str = fc.oneof(fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)), fc.string({ maxLength: 6 }).map((s) => `'${s}'`));
  const shaped = fc.record({
    header: fc.constantFrom('[package]', '[sources.x]', '[ a . b ]', '[seed]'),
    pairs: fc.array(fc.tuple(fc.constantFrom('name', 'version', 'mirrors', 'k-1', 'K_2'),
      fc.oneof(str, fc.array(str, { maxLength: 3 }).map((xs) => `[${xs.join(',\n ')}]`), fc.constantFrom('["a", \'b\',\n]', '[ ]', '7', 'false', 'true'))), { maxLength: 4 }),
  });
  fc.assert(fc.property(fc.array(shaped, { maxLength: 4 }), (tables) => {
    const doc = tables.map((t) => `${t.header}\n${t.pairs.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('');
    if (agrees(doc)) accepted++;
  }), { numRuns: 1000 });
  assert.ok(accepted > 100, `only ${accepted} generated documents took the fast path`);
});
