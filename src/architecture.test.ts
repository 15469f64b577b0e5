// Enforces the module boundaries of DESIGN §3: pure folders do not do I/O, and folders do
// not import the folders they must not depend on. Scans every non-test source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './testutil/paths.js';

const FS = ['fs', 'fs/promises'];
const PROCESS = ['child_process', 'worker_threads'];
const NET = ['net', 'http', 'https', 'http2', 'dgram', 'tls', 'dns', 'undici'];

interface Rule {
  readonly folder: string;
  /** Node builtins (without the node: prefix) or packages this folder may not import. */
  readonly builtins: readonly string[];
  /** Other src/ folders this folder may not import. */
  readonly folders: readonly string[];
}

const RULES: readonly Rule[] = [
  { folder: 'digest', builtins: [...FS, ...PROCESS, ...NET], folders: ['sandbox', 'build', 'registry', 'store'] },
  { folder: 'oci', builtins: [...FS, ...PROCESS, ...NET], folders: ['sandbox', 'build', 'registry', 'store'] },
  { folder: 'tar', builtins: NET, folders: ['registry'] },
  { folder: 'containerfile', builtins: [...FS, ...PROCESS, ...NET], folders: ['tree', 'source', 'store', 'sandbox', 'build', 'trust', 'registry', 'cli'] },
  { folder: 'plan', builtins: [...FS, ...PROCESS, ...NET], folders: ['source', 'store', 'sandbox', 'build', 'trust', 'registry', 'cli'] },
  { folder: 'tree', builtins: NET, folders: ['sandbox', 'build', 'registry', 'cli'] },
  { folder: 'source', builtins: [], folders: ['sandbox', 'build', 'cli'] },
  { folder: 'store', builtins: NET, folders: ['sandbox', 'build', 'registry', 'cli'] },
  { folder: 'build', builtins: NET, folders: ['registry', 'cli'] },
  { folder: 'trust', builtins: [], folders: ['sandbox', 'build', 'cli'] },
  { folder: 'registry', builtins: [], folders: ['sandbox', 'build', 'cli'] },
  { folder: 'audit', builtins: NET, folders: ['sandbox', 'build', 'registry', 'store', 'cli'] },
  { folder: 'verify', builtins: NET, folders: ['registry', 'cli'] },
  { folder: 'bootstrap', builtins: NET, folders: ['sandbox', 'build', 'registry', 'cli'] },
];

/** Files that must stay pure even though their folder may do I/O. */
const PURE_FILES = [
  'trust/quorum.ts',
  // the reference assemblers and the auditable hex0 reader (bootstrap/seed.ts and the
  // native/gas cross-check helpers may read files and spawn)
  'bootstrap/hex0.ts',
  'bootstrap/hex1.ts',
  'bootstrap/hex2.ts',
  'bootstrap/m0.ts',
  'bootstrap/cursor.ts',
  'bootstrap/listing.ts',
  // the audit's evaluation; only audit/scan.ts and audit/audit.ts read files
  'audit/types.ts',
  'audit/content.ts',
  'audit/context.ts',
  'audit/inputs.ts',
  'audit/evaluate.ts',
  'audit/render.ts',
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports, statically or with import(). */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

function violations(): string[] {
  const src = path.join(repoRoot, 'src');
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const rel = path.relative(src, file);
    const folder = rel.split(path.sep)[0]!;
    const rule = RULES.find((r) => r.folder === folder);
    const pure = PURE_FILES.includes(rel.split(path.sep).join('/'));
    if (!rule && !pure) continue;
    const banned = new Set(pure ? [...FS, ...PROCESS, ...NET] : rule!.builtins);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const bare = spec.replace(/^node:/, '');
      if (banned.has(bare)) found.push(`${rel} imports ${spec}`);
      if (spec.startsWith('.') && rule) {
        const target = path.relative(src, path.resolve(path.dirname(file), spec));
        const targetFolder = target.split(path.sep)[0]!;
        if (rule.folders.includes(targetFolder)) found.push(`${rel} imports ${spec} (folder ${targetFolder}/)`);
      }
    }
  }
  return found;
}

test('import scanner sees static, re-export, side-effect and dynamic imports', () => {
  const text = [
    "import { a } from 'node:fs';",
    "import type { B } from '../store/x.js';",
    "export { c } from './c.js';",
    "const m = await import('node:http');",
    "import 'node:net';",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['node:fs', '../store/x.js', './c.js', 'node:http', 'node:net']);
});

test('module boundaries of DESIGN §3 hold', () => {
  assert.deepEqual(violations(), []);
});
