// Pure parts of the audit: the content rule, the context view, the evaluation, rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrataError } from '../errors.js';
import type { SourceDef } from '../tree/types.js';
import { executableFormat, isText, TextCheck } from './content.js';
import { ContextView, type RealNode } from './context.js';
import { evaluateAudit, offendingContent } from './evaluate.js';
import { auditJson, auditTable, formatReason, traceText } from './render.js';
import type { AuditFacts, FileFacts, ImageInputs, SeedFacts, SourceFacts, Verdict } from './types.js';

const enc = new TextEncoder();
const ELF_HEAD = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

test('executableFormat: ELF and ar always; MZ, Mach-O, wasm only when not strongOnly', () => {
  assert.equal(executableFormat(ELF_HEAD), 'ELF');
  assert.equal(executableFormat(enc.encode('!<arch>\nfoo')), 'ar archive (static library or package)');
  assert.equal(executableFormat(enc.encode('MZ\x90\x00')), 'PE/DOS executable');
  assert.equal(executableFormat(enc.encode('MZ\x90\x00'), true), undefined);
  assert.equal(executableFormat(Uint8Array.from([0xcf, 0xfa, 0xed, 0xfe])), 'Mach-O');
  assert.equal(executableFormat(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), true), undefined);
  assert.equal(executableFormat(enc.encode('#!/bin/sh\n')), undefined);
  assert.equal(executableFormat(Uint8Array.from([0x7f, 0x45])), undefined, 'too short to be ELF');
});

test('TextCheck: UTF-8 and Latin-1 text are text; NUL and control bytes are not', () => {
  const euro = enc.encode('price: €5\tnet\r\n\x1b[1mbold\x1b[0m\f\n');
  const t = new TextCheck();
  for (const b of euro) t.push(Uint8Array.of(b));
  assert.equal(t.finish(), true);
  assert.equal(isText(enc.encode('#!/bin/sh\necho hi\n')), true);
  assert.equal(isText(new Uint8Array(0)), true);
  assert.equal(isText(Uint8Array.from([0x41, 0xe9, 0x42, 0x0a])), true, 'a Latin-1 patch is text');
  assert.equal(isText(Uint8Array.from([0x41, 0x00, 0x42])), false);
  for (const c of [0x01, 0x07, 0x0e, 0x1a, 0x1f]) assert.equal(isText(Uint8Array.from([0x41, c, 0x42])), false, `0x${c.toString(16)}`);
  assert.equal(isText(ELF_HEAD), false);
  const early = new TextCheck();
  early.push(Uint8Array.of(0));
  assert.equal(early.stillText, false);
  early.push(enc.encode('more'));
  assert.equal(early.finish(), false);
});

function source(id: string, file: string, hash = 'a'.repeat(64)): SourceDef {
  return { id, version: '1', file, format: undefined, hash, mirrors: [], gitSha: undefined, location: { file: 'package.toml', line: 7, col: 1 } };
}

function view(paths: Record<string, RealNode>, opts: { sources?: SourceDef[]; seed?: string } = {}): ContextView {
  return new ContextView(new Map(Object.entries(paths)), {
    sources: opts.sources ?? [],
    seed: opts.seed === undefined ? undefined : { source: 's.hex0', hash: 'b'.repeat(64), file: opts.seed, fixpoint: '/bin/x', location: { file: 'package.toml' } },
  });
}

const LOC = { file: 'Containerfile', line: 3, col: 1 };

test('ContextView: globs, directories, virtual fetch/ and seed entries', () => {
  const v = view(
    {
      'a.txt': { kind: 'file' },
      'b.txt': { kind: 'file' },
      'c.bin': { kind: 'file' },
      dir: { kind: 'dir' },
      'dir/x': { kind: 'file' },
      'dir/sub': { kind: 'dir' },
      'dir/sub/y': { kind: 'file' },
      'dir/link': { kind: 'symlink', target: '../a.txt' },
      'dir/fifo': { kind: 'other' },
    },
    { sources: [source('z', 'z-1.tar.gz')], seed: 'seed-bin' },
  );
  assert.deepEqual(v.resolveWord('*.txt', LOC), ['a.txt', 'b.txt']);
  assert.deepEqual(v.resolveWord('[ab].txt', LOC), ['a.txt', 'b.txt']);
  assert.deepEqual(v.resolveWord('[!a].txt', LOC), ['b.txt']);
  assert.deepEqual(v.resolveWord('?.bin', LOC), ['c.bin']);
  assert.deepEqual(v.resolveWord('./dir/../a.txt', LOC), ['a.txt']);
  assert.deepEqual(v.resolveWord('dir/link', LOC), ['a.txt'], 'a symlink named by the word is followed');
  assert.deepEqual(v.itemsAt('dir'), [{ kind: 'file', rel: 'dir/sub/y' }, { kind: 'file', rel: 'dir/x' }], 'symlinks and fifos inside a directory bring no content');
  assert.deepEqual(v.resolveWord('fetch/*', LOC), ['fetch/z-1.tar.gz']);
  assert.deepEqual(v.itemsAt('fetch/z-1.tar.gz').map((i) => i.kind), ['source']);
  assert.deepEqual(v.itemsAt('seed-bin'), [{ kind: 'seed' }]);
  const all = v.itemsAt('').map((i) => (i.kind === 'file' ? i.rel : i.kind));
  assert.deepEqual(all, ['a.txt', 'b.txt', 'c.bin', 'dir/sub/y', 'dir/x', 'source', 'seed'], "COPY . brings fetch/ and the seed as the builder's context does");
});

test('ContextView: nothing matching, absolute paths and escapes are input errors at the instruction', () => {
  const v = view({ 'a.txt': { kind: 'file' }, out: { kind: 'symlink', target: '../../etc/passwd' }, abs: { kind: 'symlink', target: '/etc' } });
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof StrataError);
      assert.equal(e.kind, 'input');
      assert.deepEqual(e.location, LOC);
      return e.code;
    }
    return 'no error';
  };
  assert.equal(code(() => v.resolveWord('missing.txt', LOC)), 'audit/source-not-found');
  assert.equal(code(() => v.resolveWord('*.c', LOC)), 'audit/source-not-found');
  assert.equal(code(() => v.resolveWord('/etc/passwd', LOC)), 'audit/outside-context');
  assert.equal(code(() => v.resolveWord('../x', LOC)), 'audit/outside-context');
  assert.equal(code(() => v.resolveWord('out', LOC)), 'audit/outside-context');
  assert.equal(code(() => v.resolveWord('abs/x', LOC)), 'audit/outside-context');
});

test('offendingContent: text and clean archives pass; executables, binary data, dirty archives do not', () => {
  assert.equal(offendingContent({ kind: 'text' }, 'context'), undefined);
  assert.equal(offendingContent({ kind: 'archive', compression: 'gzip', members: 3, executables: [], executableCount: 0 }, 'source'), undefined);
  assert.match(offendingContent({ kind: 'executable', format: 'ELF' }, 'context')!, /prebuilt ELF file/);
  assert.match(offendingContent({ kind: 'binary' }, 'context')!, /binary content \(not text\)/);
  assert.match(offendingContent({ kind: 'binary' }, 'source')!, /neither text nor a tar archive/);
  const dirty = offendingContent({ kind: 'archive', compression: 'xz', members: 9, executables: [{ member: 'bin/cc', format: 'ELF' }], executableCount: 7 }, 'source')!;
  assert.match(dirty, /7 prebuilt executables: bin\/cc \(ELF\) and 6 more/);
  assert.match(offendingContent({ kind: 'unreadable', message: 'bad header' }, 'source')!, /cannot be read: bad header/);
});

// ---- evaluation over hand-made inputs and facts

const CF = (pkg: string, line = 1, col = 1) => ({ file: `packages/${pkg}/Containerfile`, line, col });
const SEED_OK: SeedFacts = { ok: true, sourceFile: 'packages/bootstrap/seed/seed.hex0', bytes: 5, sha256: 'c'.repeat(64) };

function facts(parts: { files?: Record<string, FileFacts>; sources?: Record<string, SourceFacts>; seeds?: Record<string, SeedFacts>; binary?: Record<string, string> } = {}): AuditFacts {
  return {
    files: new Map(Object.entries(parts.files ?? {})),
    sources: new Map(Object.entries(parts.sources ?? {})),
    seeds: new Map(Object.entries(parts.seeds ?? { 'bootstrap-seed': SEED_OK })),
    binarySeeds: new Map(Object.entries(parts.binary ?? {}).map(([p, sha]) => [p, { path: p, sha256: sha, location: { file: 'strata.toml', line: 2, col: 9 } }])),
  };
}

const seedImage: ImageInputs = {
  name: 'bootstrap-seed',
  packageId: 'bootstrap-seed',
  inputs: [
    { kind: 'seed', packageId: 'bootstrap-seed', via: 'COPY', location: CF('bootstrap/seed', 2) },
    { kind: 'context-file', rel: 'seed.hex0', display: 'packages/bootstrap/seed/seed.hex0', treePath: 'packages/bootstrap/seed/seed.hex0', via: 'COPY', location: CF('bootstrap/seed', 3) },
  ],
};
const TEXT: FileFacts = { sha256: 'd'.repeat(64), size: 10, content: { kind: 'text' } };
const ELF: FileFacts = { sha256: 'e'.repeat(64), size: 64, content: { kind: 'executable', format: 'ELF' } };

function run(images: ImageInputs[], f: AuditFacts): Map<string, Verdict> {
  return evaluateAudit(images, f);
}

test('evaluate: a seed package and an image built with it are bootstrapped, with the path back to the seed', () => {
  const tool: ImageInputs = { name: 'core-tool', packageId: 'core-tool', inputs: [{ kind: 'tree-image', image: 'bootstrap-seed', via: 'COPY --from', location: CF('core/tool', 2, 6) }] };
  const v = run([seedImage, tool], facts({ files: { 'packages/bootstrap/seed/seed.hex0': TEXT } }));
  const t = v.get('core-tool')!;
  assert.equal(t.bootstrapped, true);
  assert.deepEqual(t.reasons, []);
  assert.deepEqual(t.path.map((s) => s.kind), ['image', 'dependency', 'root']);
  assert.deepEqual(t.roots, [{ kind: 'seed', packageId: 'bootstrap-seed', sourceFile: SEED_OK.ok ? SEED_OK.sourceFile : '', bytes: 5, sha256: 'c'.repeat(64) }]);
  assert.match(traceText(t), /core-tool: bootstrapped\n {2}core-tool\n {2}└─ bootstrap-seed \(COPY --from at packages\/core\/tool\/Containerfile:2:6\)\n {4}└─ seed of bootstrap-seed: hex0 source packages\/bootstrap\/seed\/seed\.hex0, 5 bytes decoded, sha256 c{64} ok/);
});

test('evaluate: every kind of offending input is a reason with its location; dependants say "no" because of the dependency', () => {
  const bad: ImageInputs = {
    name: 'core-bad',
    packageId: 'core-bad',
    inputs: [
      { kind: 'tree-image', image: 'bootstrap-seed', via: 'FROM', location: CF('core/bad', 1) },
      { kind: 'external-image', ref: 'docker.io/library/alpine', via: 'COPY --from', location: CF('core/bad', 2, 6) },
      { kind: 'url', url: 'https://example.invalid/x.tgz', location: CF('core/bad', 3) },
      { kind: 'context-file', rel: 'tool', display: 'packages/core/bad/tool', treePath: 'packages/core/bad/tool', via: 'COPY', location: CF('core/bad', 4) },
      { kind: 'source', source: source('gone', 'gone.tar'), via: 'ADD', location: CF('core/bad', 5) },
      { kind: 'source', source: source('dirty', 'dirty.tar.xz', 'f'.repeat(64)), via: 'ADD', location: CF('core/bad', 6) },
    ],
  };
  const user: ImageInputs = { name: 'core-user', packageId: 'core-user', inputs: [{ kind: 'tree-image', image: 'core-bad', via: 'FROM', location: CF('core/user', 1) }] };
  const v = run([seedImage, bad, user], facts({
    files: { 'packages/bootstrap/seed/seed.hex0': TEXT, 'packages/core/bad/tool': ELF },
    sources: { ['f'.repeat(64)]: { state: 'cached', size: 100, content: { kind: 'archive', compression: 'xz', members: 2, executables: [{ member: 'x/a.out', format: 'ELF' }], executableCount: 1 } } },
  }));
  const b = v.get('core-bad')!;
  assert.equal(b.bootstrapped, false);
  assert.deepEqual(b.reasons.map((r) => r.code), ['external-image', 'url', 'binary-from-context', 'not-fetched', 'prebuilt-in-source']);
  assert.deepEqual(b.reasons.map((r) => r.location?.line), [2, 3, 4, 5, 6]);
  assert.deepEqual(b.roots, [], 'a "no" image claims no roots');
  assert.equal(b.path.length, 2);
  assert.equal(b.path[1]!.kind, 'offending');
  assert.match(formatReason(b.reasons[3]!), /^packages\/core\/bad\/Containerfile:5:1: ADD of source 'gone' \(gone\.tar, sha256 aaaaaaaaaaaa\): not fetched, cannot be audited — run 'strata fetch core-bad' first$/);
  assert.match(formatReason(b.reasons[4]!), /a prebuilt executable: x\/a\.out \(ELF\)/);
  const u = v.get('core-user')!;
  assert.equal(u.bootstrapped, false);
  assert.deepEqual(u.reasons.map((r) => [r.code, r.dependency]), [['dependency', 'core-bad']]);
  assert.deepEqual(u.path.map((s) => s.kind), ['image', 'dependency', 'offending'], 'the path goes through core-bad to its first offending input');
  const j = JSON.parse(auditJson([...v.values()])) as { name: string; bootstrapped: boolean; reasons: string[]; path: string[] }[];
  assert.deepEqual(Object.keys(j[0]!), ['name', 'bootstrapped', 'reasons', 'path', 'seeds']);
  assert.match(j.find((x) => x.name === 'core-user')!.path[2]!, /COPY --from docker\.io\/library\/alpine: an image from outside this tree/);
  const table = auditTable([...v.values()]);
  assert.match(table, /^IMAGE {11}BOOTSTRAPPED {2}DETAIL\n/);
  assert.match(table, /\ncore-user {7}no {12}depends on core-bad\n/);
  assert.match(table, /\n3 images: 1 bootstrapped, 2 not\n$/);
});

test('evaluate: binary seeds are roots when the hash matches, offences when not; a failed [seed] is a reason', () => {
  const stage0 = (sha: string): [ImageInputs[], AuditFacts] => [
    [{ name: 'bootstrap-stage0', packageId: 'bootstrap-stage0', inputs: [{ kind: 'context-file', rel: 'hex0-seed', display: 't/packages/bootstrap/stage0/hex0-seed', treePath: 'packages/bootstrap/stage0/hex0-seed', via: 'COPY', location: CF('bootstrap/stage0', 2) }] }],
    facts({ files: { 't/packages/bootstrap/stage0/hex0-seed': { sha256: sha, size: 16, content: { kind: 'binary' } } }, binary: { 'packages/bootstrap/stage0/hex0-seed': '1'.repeat(64) } }),
  ];
  const ok = run(...stage0('1'.repeat(64))).get('bootstrap-stage0')!;
  assert.equal(ok.bootstrapped, true);
  assert.deepEqual(ok.roots, [{ kind: 'binary-seed', path: 'packages/bootstrap/stage0/hex0-seed', bytes: 16, sha256: '1'.repeat(64) }]);
  assert.match(traceText(ok), /binary seed packages\/bootstrap\/stage0\/hex0-seed, 16 bytes, sha256 1{64} ok/);
  const changed = run(...stage0('2'.repeat(64))).get('bootstrap-stage0')!;
  assert.equal(changed.bootstrapped, false);
  assert.equal(changed.reasons[0]!.code, 'binary-seed-mismatch');
  assert.match(changed.reasons[0]!.hint!, /strata\.toml:2:9/);

  const v = run([seedImage], facts({
    files: { 'packages/bootstrap/seed/seed.hex0': TEXT },
    seeds: { 'bootstrap-seed': { ok: false, message: 'seed decodes to sha256 …', location: { file: 'p/package.toml', line: 9, col: 1 }, hint: 'audit the change' } },
  }));
  const s = v.get('bootstrap-seed')!;
  assert.equal(s.bootstrapped, false);
  assert.equal(s.reasons[0]!.code, 'seed-mismatch');
  assert.deepEqual(s.reasons[0]!.location, { file: 'p/package.toml', line: 9, col: 1 });
});

test('evaluate: a root with only text and no seed is bootstrapped, reported as such', () => {
  const img: ImageInputs = { name: 'core-etc', packageId: 'core-etc', inputs: [{ kind: 'context-file', rel: 'motd', display: 'p/motd', treePath: 'packages/core/etc/motd', via: 'COPY', location: CF('core/etc', 2) }] };
  const v = run([img], facts({ files: { 'p/motd': TEXT } })).get('core-etc')!;
  assert.equal(v.bootstrapped, true);
  assert.deepEqual(v.roots, []);
  assert.deepEqual(v.path.map((s) => s.kind), ['image', 'text-only']);
  assert.match(auditTable([v]), /core-etc {2}yes {11}no seed, text inputs only/);
});
