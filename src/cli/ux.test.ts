/**
 * A demanding user's pass over the CLI (DESIGN §6), table-driven:
 *
 * - bad input of every kind — no arguments, unknown options, bad option values, missing and
 *   unreadable paths, a directory where a file is expected and the reverse, garbage files
 *   (malformed TOML, truncated index.json, a MAINTAINERS with a short key id, a corrupt
 *   digests file), unknown images — gets exactly one stderr line `where: what — hint`, the
 *   expected exit status (2 for input, 1 for a damaged store), nothing on stdout (or one JSON
 *   error object with --json), never an internal error, and writes nothing;
 * - every command that prints a table answers --json with the same images;
 * - through the real process with a non-TTY stderr: exit codes survive, no terminal escapes.
 *
 * The fixture is a tree with one image put into a real store (no sandbox needed), a maintainer
 * key made at run time and a signature made by `strata sign`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, lstatSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { errorFromErrno, main } from './main.js';
import { bufferIO, oneLine } from './io.js';
import { commands } from './registry.js';
import { OciStore } from '../store/store.js';
import { putTinyImage } from '../store/test-image.js';
import { armoredPublic, generateTestKey } from '../trust/test-keys.js';
import { cliPath } from '../testutil/paths.js';

/** The fixture directory; every path below is inside it. */
let F = '';
const p = (...parts: string[]): string => path.join(F, ...parts);

async function write(rel: string, content: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(p(rel)), { recursive: true });
  await fs.writeFile(p(rel), content);
}

async function makeTree(dir: string, digest: string): Promise<void> {
  await write(`${dir}/strata.toml`, 'namespace = "stagex"\n');
  await write(`${dir}/packages/core/tiny/package.toml`, '[package]\nname = "tiny"\nversion = "1.0"\n');
  await write(`${dir}/packages/core/tiny/Containerfile`, 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  await write(`${dir}/packages/core/tiny/hello.txt`, 'hello\n');
  await write(`${dir}/digests/core.txt`, `${digest.slice('sha256:'.length)} core-tiny\n`);
}

before(async () => {
  F = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-ux-'));
  const key = await generateTestKey({ name: 'Una User' });
  const store = await OciStore.open(p('tree/.strata/store'), { create: true });
  const digest = (await putTinyImage(store, 'core-tiny')).digest;
  await makeTree('tree', digest);
  await write('tree/MAINTAINERS', `[people.una]\nName = "Una User"\n[keys.una.main]\nID = ${key.getFingerprint().toUpperCase()}\n`);
  await write('tree/keys/una.asc', armoredPublic(key));
  await write('una.key', key.armor());
  await write('keyring.asc', armoredPublic(key));
  await write('afile', 'just some text\n');
  await fs.mkdir(p('empty'));
  await fs.mkdir(p('somedir'));
  await write('somedir/x', 'x\n');
  const signed = bufferIO({}, F);
  assert.equal(await main(['sign', '--tree', p('tree'), '--signatures', p('sigs'), '--key', p('una.key'), '--all'], signed), 0, signed.stderr());

  // Garbage inputs, each in its own copy so one broken file is the only fault.
  await makeTree('badtoml', digest);
  await write('badtoml/strata.toml', 'namespace = \n');
  await makeTree('badpkg', digest);
  await write('badpkg/packages/core/tiny/package.toml', '[package]\nname = "tiny"\nversion = "1.0"\n[sources.x]\nhash = "abc"\nmirrors = ["https://example.org/x"]\n');
  await makeTree('baddigests', digest);
  await write('baddigests/digests/core.txt', 'sha256:zzzz core-tiny\n');
  await makeTree('badcf', digest);
  await write('badcf/packages/core/tiny/Containerfile', 'FROM scratch\nFROBNICATE now\n');
  await write('short/MAINTAINERS', `[people.una]\nName = "Una User"\n[keys.una.main]\nID = ${key.getFingerprint().toUpperCase().slice(-16)}\n`);
  await write('binary/MAINTAINERS', new Uint8Array([0x5b, 0x70, 0x0a, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0xfe, 0x3d, 0x0a]));
  // A store whose index.json was cut short (a crash on a file system without rename).
  await fs.cp(p('tree/.strata/store'), p('cutstore'), { recursive: true });
  const index = await fs.readFile(p('cutstore/index.json'));
  await fs.writeFile(p('cutstore/index.json'), index.subarray(0, Math.floor(index.length / 2)));
});

after(async () => {
  if (F) await fs.rm(F, { recursive: true, force: true });
});

/** Every path under the fixture with its type and size: "nothing written" means this is unchanged. */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      out.push(`${path.relative(F, full)} ${st.isDirectory() ? 'd' : st.size}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(F);
  return out;
}

interface BadCase {
  readonly argv: () => string[];
  /** Expected exit status (2 unless the failure is a failed check). */
  readonly exit?: number;
  /** Expected error line (matched against the whole line). */
  readonly line: RegExp;
  /** Run with this cwd (default: the empty directory, so defaults point at nothing). */
  readonly cwd?: () => string;
  /** Do not repeat the case with --json appended (it would change what the case means). */
  readonly noJson?: boolean;
}

const T = (): string => p('tree');
const SIG = (): string[] => ['--signatures', p('sigs')];
const TRUST = (): string[] => ['--maintainers', p('tree/MAINTAINERS'), '--keyring', p('keyring.asc')];

const badCases: Readonly<Record<string, BadCase>> = {
  // no arguments / missing required parts
  'no command': { argv: () => [], line: /^no command given — / },
  'unknown command': { argv: () => ['frobnicate'], line: /^unknown command 'frobnicate' — / },
  "typo'd command": { argv: () => ['biuld', '--all'], line: /^unknown command 'biuld' — did you mean 'strata build'\? run 'strata --help'/ },
  "typo'd command (swapped letters)": { argv: () => ['verfiy'], line: /^unknown command 'verfiy' — did you mean 'strata verify'\? / },
  'run does not take --json: no JSON on stdout': { argv: () => ['run', '--tree', T(), '--json', 'core-tiny'], line: /^run: Unknown option '--json' — / },
  "--json after '--' belongs to the command run runs": { argv: () => ['run', '--tree', T(), 'core-nope', '--', 'echo', '--json'], line: /^image 'core-nope' is not in the store — / },
  'option before the command': { argv: () => ['--tree', T(), 'plan'], line: /^unknown command '--tree': options go after the command — write 'strata <command> --tree …'/ },
  'plan outside a tree': { argv: () => ['plan'], line: /empty: no packages\/ directory in '.*empty' — point --tree/ },
  'fetch outside a tree': { argv: () => ['fetch'], line: /no packages\/ directory/ },
  'audit outside a tree': { argv: () => ['audit'], line: /no packages\/ directory/ },
  'fsck without a store': { argv: () => ['fsck'], line: /\.strata\/store: not a strata store \(no oci-layout file\) — / },
  'gc without a store': { argv: () => ['gc'], line: /not a strata store/ },
  'status without digests': { argv: () => ['status'], line: /digests: the tree has no digests\/\*\.txt — / },
  'check without --signatures': { argv: () => ['check', '--tree', T(), '--all'], line: /^check: --signatures DIR\|URL is required — give the lookaside signatures: .*e\.g\. --signatures \.\/signatures$/ },
  'check without images': { argv: () => ['check', '--tree', T(), ...SIG()], line: /^check: name the images to check, or pass --all — / },
  'policy without --out': { argv: () => ['policy', '--tree', T()], line: /^policy: --out DIR is required — give the directory .*, e\.g\. --out \.\/policy$/ },
  'sign without --signatures': { argv: () => ['sign', '--tree', T(), '--all'], line: /^sign: --signatures DIR is required — give the lookaside directory .*, e\.g\. --signatures \.\/signatures$/ },
  'sign without a key': { argv: () => ['sign', '--tree', T(), ...SIG(), '--all'], line: /^sign: give exactly one of --key FILE or --gpg FINGERPRINT — / },
  'publish without --to': { argv: () => ['publish', '--tree', T(), ...SIG(), '--all'], line: /^publish: --to REGISTRY\/NAMESPACE is required — give the registry .*, e\.g\. --to 127\.0\.0\.1:5000\/stagex$/ },
  'diff with one image': { argv: () => ['diff', '--tree', T(), 'core-tiny'], line: /^diff: expected two images, got 1 — / },
  'verify without images': { argv: () => ['verify', '--tree', T()], line: /^no image named — / },
  'pull without an image': { argv: () => ['pull', '--tree', T(), ...SIG()], line: /^pull: expected one image reference, got 0 — e\.g\. 'strata pull --signatures DIR 127\.0\.0\.1:5000\/stagex\/core-zlib:latest'/ },
  'pull without --signatures': { argv: () => ['pull', '--tree', T(), '127.0.0.1:1/stagex/core-tiny:latest'], line: /^pull: --signatures DIR\|URL is required — give the lookaside signatures \(a directory, file:\/\/ or http\(s\):\/\/ URL\)/ },
  'trace without an image': { argv: () => ['trace', '--tree', T()], line: /^trace: expected one IMAGE, got 0 — / },

  // unknown options, bad values, operands where none are taken
  'unknown option': { argv: () => ['status', '--colour'], line: /^status: Unknown option '--colour' — run 'strata status --help'/ },
  'option without its value': { argv: () => ['plan', '--tree'], line: /^plan: --tree needs a value — write --tree DIR; run 'strata plan --help'/, noJson: true },
  'short option without its value': { argv: () => ['build', '--tree', T(), '-j'], line: /^build: --jobs needs a value — write --jobs N; /, noJson: true },
  'short option followed by an option': { argv: () => ['fetch', '--tree', T(), '-j', '--offline'], line: /^fetch: -j needs a value, and the next argument looks like an option — write --jobs=VALUE / },
  'mistyped option': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--treshold', '1'], line: /^check: Unknown option '--treshold' — did you mean --threshold\? run 'strata check --help'/ },
  'mistyped option (singular)': { argv: () => ['status', '--tree', T(), '--signature', p('sigs')], line: /^status: Unknown option '--signature' — did you mean --signatures\? / },
  'negative number as value': { argv: () => ['gc', '--store', p('tree/.strata/store'), '--grace', '-5'], line: /^gc: --grace needs a value, .* — write --grace=VALUE/ },
  'non-integer --jobs': { argv: () => ['fetch', '--tree', T(), '-j', 'many'], line: /^fetch: --jobs must be an integer ≥ 1, got 'many' — / },
  'non-integer -j (verify takes -j like build)': { argv: () => ['verify', '--tree', T(), '-j', 'x', 'core-tiny'], line: /^verify: --jobs must be an integer ≥ 1, got 'x' — / },
  'file as --cache (verify)': { argv: () => ['verify', '--tree', T(), '--cache', p('afile'), 'core-tiny'], line: /afile: --cache: not a directory — / },
  'zero --threshold': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--threshold', '0'], line: /^check: --threshold must be an integer ≥ 1, got '0' — / },
  'non-integer --min-free-gib': { argv: () => ['doctor', '--min-free-gib', 'lots'], line: /^doctor: --min-free-gib must be an integer ≥ 0/ },
  'doctor with an operand': { argv: () => ['doctor', 'core-tiny'], line: /^doctor: unexpected argument 'core-tiny' — / },
  'status with an operand': { argv: () => ['status', '--tree', T(), 'core-tiny'], line: /^status: unexpected argument 'core-tiny' — / },
  'policy with an operand': { argv: () => ['policy', '--tree', T(), '--out', p('newpolicy'), 'x'], line: /^policy: unexpected argument 'x' — / },
  'fsck with an operand': { argv: () => ['fsck', '--tree', T(), 'x'], line: /^fsck: unexpected argument 'x' — fsck takes no image names or other operands/ },
  'gc with an operand': { argv: () => ['gc', '--tree', T(), 'x'], line: /^gc: unexpected argument 'x' — gc takes no image names or other operands/ },
  'images and --all': { argv: () => ['audit', '--tree', T(), '--all', 'core-tiny'], line: /^audit: give image names or --all, not both — / },
  'plan images and --all': { argv: () => ['plan', '--tree', T(), '--all', 'core-tiny'], line: /^plan: give image names or --all, not both — / },
  'fetch images and --all': { argv: () => ['fetch', '--tree', T(), '--all', 'core-tiny'], line: /^fetch: give image names or --all, not both — / },
  'verify images and --all': { argv: () => ['verify', '--tree', T(), '--all', 'core-tiny'], line: /^verify: give image names or --all, not both — / },
  'status --threshold without --signatures': { argv: () => ['status', '--tree', T(), '--threshold', '2'], line: /^status: --threshold only matters with --signatures — / },
  'sign --passphrase-file without --key': { argv: () => ['sign', '--tree', T(), ...SIG(), '--gpg', 'A'.repeat(40), '--passphrase-file', p('afile'), '--all'], line: /^sign: --passphrase-file goes with --key/ },
  'sign with a short --gpg id': { argv: () => ['sign', '--tree', T(), ...SIG(), '--gpg', '0123456789ABCDEF', '--all'], line: /^sign: --gpg '0123456789ABCDEF' is not a full key fingerprint — .*short key ids/ },
  'check with an ftp:// signatures URL': { argv: () => ['check', '--tree', T(), '--signatures', 'ftp://example.org/sigs', '--all'], line: /^--signatures 'ftp:\/\/example\.org\/sigs' uses a scheme strata cannot read — / },
  'sign to a URL': { argv: () => ['sign', '--tree', T(), '--signatures', 'https://example.org/s', '--key', p('una.key'), '--all'], line: /^sign: --signatures must be a local directory — / },
  'empty option value': { argv: () => ['sign', '--tree', T(), '--signatures', '', '--key', p('una.key'), '--all'], line: /^sign: --signatures needs a value, got an empty string — / },
  'policy with an ftp:// --lookaside': { argv: () => ['policy', '--tree', T(), '--out', p('newpolicy'), '--lookaside', 'ftp://example.org/sigs'], line: /^policy: --lookaside 'ftp:\/\/example\.org\/sigs' uses a scheme podman and skopeo cannot read — give a directory/ },
  'publish --lookaside to a URL': { argv: () => ['publish', '--tree', T(), '--to', '127.0.0.1:1/stagex', ...SIG(), '--threshold', '1', '--lookaside', 'https://example.org/sigs', '--all'], line: /^publish: --lookaside must be a local directory — / },
  'policy with a bad --registry': { argv: () => ['policy', '--tree', T(), '--out', p('newpolicy'), '--registry', 'no such host'], line: /^policy: --registry 'no such host' is not a host\[:port\] — / },

  // nonexistent paths
  'missing --tree (plan)': { argv: () => ['plan', '--tree', p('nope')], line: /nope: the tree '.*nope' does not exist — / },
  'missing --tree (verify)': { argv: () => ['verify', '--tree', p('nope'), '--all'], line: /nope: the tree '.*nope' does not exist — / },
  'missing --tree (trace)': { argv: () => ['trace', '--tree', p('nope'), 'core-tiny'], line: /does not exist — point --tree/ },
  // every command says a missing --tree is missing (not "no digests/", "no MAINTAINERS", "not a store", or exit 0)
  'missing --tree (doctor)': { argv: () => ['doctor', '--tree', p('nope')], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (status)': { argv: () => ['status', '--tree', p('nope')], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (fsck)': { argv: () => ['fsck', '--tree', p('nope')], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (diff)': { argv: () => ['diff', '--tree', p('nope'), 'core-tiny', 'core-tiny'], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (sign)': { argv: () => ['sign', '--tree', p('nope'), ...SIG(), '--key', p('una.key'), '--all'], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (policy)': { argv: () => ['policy', '--tree', p('nope'), '--out', p('newpolicy')], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (publish)': { argv: () => ['publish', '--tree', p('nope'), '--to', '127.0.0.1:1/x', ...SIG(), '--all'], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'missing --tree (pull)': { argv: () => ['pull', '--tree', p('nope'), ...SIG(), '127.0.0.1:1/x/core-tiny:latest'], line: /nope: the tree '.*nope' does not exist — point --tree/ },
  'file as --tree (fetch)': { argv: () => ['fetch', '--tree', p('afile')], line: /afile: the tree '.*afile' is not a directory — point --tree/ },
  'file as --tree (gc)': { argv: () => ['gc', '--tree', p('afile')], line: /afile: the tree '.*afile' is not a directory — point --tree/ },
  'file as --tree (check)': { argv: () => ['check', '--tree', p('afile'), ...SIG(), '--all'], line: /afile: the tree '.*afile' is not a directory — point --tree/ },
  'file as --tree (push)': { argv: () => ['push', '--no-quorum', '--tree', p('afile'), '--to', '127.0.0.1:1/x', '--all'], line: /afile: the tree '.*afile' is not a directory — point --tree/ },
  'missing --store (fsck)': { argv: () => ['fsck', '--store', p('nope')], line: /nope: not a strata store/ },
  'missing --store (status)': { argv: () => ['status', '--tree', T(), '--store', p('nope')], line: /nope: not a strata store/ },
  'missing --store (sign)': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('una.key'), '--store', p('nope'), '--all'], line: /nope: not a strata store/ },
  'missing --store (diff)': { argv: () => ['diff', '--store', p('nope'), 'core-tiny', 'core-tiny'], line: /nope: not an OCI image layout \(no oci-layout file\) — / },
  'missing --store (verify)': { argv: () => ['verify', '--tree', T(), '--store', p('nope'), 'core-tiny'], line: /nope: --store: no such directory — / },
  'missing --signatures (check)': { argv: () => ['check', '--tree', T(), '--signatures', p('nope'), '--all'], line: /nope: signatures directory '.*nope' does not exist — / },
  'missing --key': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('nope.key'), '--all'], line: /nope\.key: cannot read: ENOENT — check the --key path/ },
  'missing --passphrase-file': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('una.key'), '--passphrase-file', p('nope'), '--all'], line: /nope: cannot read: ENOENT — check the --passphrase-file path/ },
  'missing --gnupghome': { argv: () => ['sign', '--tree', T(), ...SIG(), '--gpg', 'A'.repeat(40), '--gnupghome', p('nope'), '--all'], line: /nope: --gnupghome: no such directory — / },
  'missing --maintainers': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--maintainers', p('nope')], line: /nope: --maintainers: no such file — / },
  'missing --keyring': { argv: () => ['policy', '--tree', T(), '--out', p('newpolicy'), '--keyring', p('nope')], line: /nope: --keyring: no such file — / },
  'missing --import': { argv: () => ['fetch', '--tree', T(), '--import', p('nope')], line: /nope: --import: no such directory — / },
  'missing oci: layout': { argv: () => ['diff', `oci:${p('nope')}`, 'core-tiny', '--tree', T()], line: /nope: not an OCI image layout/ },
  'MAINTAINERS missing from the tree': { argv: () => ['check', '--tree', p('badpkg'), ...SIG(), '--all'], line: /badpkg\/MAINTAINERS: the tree has no MAINTAINERS file — / },

  // a file where a directory is expected, and the reverse
  'file as --tree': { argv: () => ['plan', '--tree', p('afile')], line: /afile: the tree '.*afile' is not a directory — / },
  'file as --tree (verify)': { argv: () => ['verify', '--tree', p('afile'), '--all'], line: /afile: the tree '.*afile' is not a directory — / },
  'file as --store': { argv: () => ['gc', '--store', p('afile')], line: /afile: not a strata store/ },
  'file as --store (doctor)': { argv: () => ['doctor', '--store', p('afile')], line: /afile: --store: not a directory — / },
  'file as --cache (fetch)': { argv: () => ['fetch', '--tree', T(), '--cache', p('afile')], line: /afile: --cache: not a directory — / },
  'file as --cache (audit)': { argv: () => ['audit', '--tree', T(), '--cache', p('afile')], line: /afile: --cache: not a directory — / },
  'file as --cache (status)': { argv: () => ['status', '--tree', T(), '--cache', p('afile')], line: /afile: --cache: not a directory — / },
  'file as --signatures (check)': { argv: () => ['check', '--tree', T(), '--signatures', p('afile'), '--all'], line: /afile: signatures directory '.*afile' is not a directory — / },
  'file as --signatures (sign)': { argv: () => ['sign', '--tree', T(), '--signatures', p('afile'), '--key', p('una.key'), '--all'], line: /afile: --signatures: not a directory — / },
  'file as --out (policy)': { argv: () => ['policy', '--tree', T(), '--out', p('afile')], line: /afile: --out: not a directory — / },
  'file as --export (fetch)': { argv: () => ['fetch', '--tree', T(), '--export', p('afile')], line: /afile: --export: not a directory — / },
  'file as --import (fetch)': { argv: () => ['fetch', '--tree', T(), '--import', p('afile')], line: /afile: --import: not a directory — / },
  'path under a file': { argv: () => ['policy', '--tree', T(), '--out', p('afile', 'sub')], line: /afile\/sub: --out: a file is in the way/ },
  'directory as --maintainers': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--maintainers', p('somedir')], line: /somedir: --maintainers: a directory, where a file is needed — / },
  'directory as --keyring': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--keyring', p('somedir')], line: /somedir: --keyring: a directory, where a file is needed — / },
  'directory as --key': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('somedir'), '--all'], line: /somedir: cannot read: EISDIR — check the --key path/ },
  'non-empty --export': { argv: () => ['fetch', '--tree', T(), '--export', p('somedir')], line: /somedir is not empty — export into a new or empty directory/ },

  // garbage files
  'malformed strata.toml': { argv: () => ['plan', '--tree', p('badtoml')], line: /badtoml\/strata\.toml:1:13: malformed TOML: .* — fix the TOML syntax/ },
  'malformed strata.toml (verify)': { argv: () => ['verify', '--tree', p('badtoml'), '--all'], line: /badtoml\/strata\.toml:1:13: malformed TOML/ },
  'malformed strata.toml (status)': { argv: () => ['status', '--tree', p('badtoml')], line: /badtoml\/strata\.toml:1:13: malformed TOML/ },
  'short source hash': { argv: () => ['fetch', '--tree', p('badpkg')], line: /badpkg\/packages\/core\/tiny\/package\.toml:5:\d+: .*hash.* — / },
  'unknown instruction': { argv: () => ['plan', '--tree', p('badcf')], line: /badcf\/packages\/core\/tiny\/Containerfile:2:1: .*FROBNICATE.* — / },
  'corrupt digests file (status)': { argv: () => ['status', '--tree', p('baddigests')], line: /baddigests\/digests\/core\.txt:1:1: expected '<64 hex> core-<name>'.* — / },
  'corrupt digests file (check)': { argv: () => ['check', '--tree', p('baddigests'), ...SIG(), ...TRUST(), '--all'], line: /baddigests\/digests\/core\.txt:1:1: / },
  'corrupt digests file (verify)': { argv: () => ['verify', '--tree', p('baddigests'), '--all'], line: /baddigests\/digests\/core\.txt:1:1: / },
  'MAINTAINERS with a short key id': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--maintainers', p('short/MAINTAINERS')], line: /short\/MAINTAINERS:4:6: key ID '[0-9A-F]{16}' is a 64-bit short id, .* — use the full primary-key fingerprint/ },
  'binary MAINTAINERS': { argv: () => ['policy', '--tree', T(), '--out', p('newpolicy'), '--maintainers', p('binary/MAINTAINERS')], line: /binary\/MAINTAINERS:1:1: .* — / },
  'text file as --keyring': { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--keyring', p('afile')], line: /afile: cannot read OpenPGP public keys: .* — export keys with 'gpg --export/ },
  'public key as --key': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('keyring.asc'), '--all'], line: /keyring\.asc: cannot read an OpenPGP private key: .* — export it with 'gpg --export-secret-keys/ },
  'truncated index.json (fsck is a check)': { argv: () => ['status', '--tree', T(), '--store', p('cutstore')], exit: 1, line: /cutstore\/index\.json: image index is not valid UTF-8 JSON: .* — / },
  'truncated index.json (diff)': { argv: () => ['diff', '--store', p('cutstore'), 'core-tiny', 'core-tiny'], exit: 1, line: /cutstore\/index\.json: image index is not valid UTF-8 JSON/ },

  // unknown images
  'unknown image (plan)': { argv: () => ['plan', '--tree', T(), 'core-tinny'], line: /^no image 'core-tinny' in this tree — / },
  'unknown image (fetch)': { argv: () => ['fetch', '--tree', T(), 'core-nope'], line: /^no image or package named 'core-nope' in this tree — / },
  'unknown image (trace)': { argv: () => ['trace', '--tree', T(), 'core-nope'], line: /^no image 'core-nope' in this tree — / },
  'unknown image (verify)': { argv: () => ['verify', '--tree', T(), 'core-nope'], line: /^no image 'core-nope' in this tree — / },
  'unknown image (check)': { argv: () => ['check', '--tree', T(), ...SIG(), 'core-nope'], line: /^no digest recorded for image 'core-nope' — / },
  'unknown image (sign)': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('una.key'), 'core-nope'], line: /^no digest recorded for image 'core-nope' — / },
  'mistyped image (check) names the close one': { argv: () => ['check', '--tree', T(), ...SIG(), 'core-tinny'], line: /^no digest recorded for image 'core-tinny' — did you mean core-tiny\? / },
  'mistyped image (sign) names the close one': { argv: () => ['sign', '--tree', T(), ...SIG(), '--key', p('una.key'), 'core-tinny'], line: /^no digest recorded for image 'core-tinny' — did you mean core-tiny\? / },
  'mistyped image (push) names the close one': { argv: () => ['push', '--no-quorum', '--tree', T(), '--to', '127.0.0.1:1/x', 'core-tinny'], line: /^no digest recorded for image 'core-tinny' — did you mean core-tiny\? / },
  'unknown image (diff)': { argv: () => ['diff', '--tree', T(), 'core-tiny', 'core-nope'], line: /index\.json: image 'core-nope' is not in the store — / },
  'oci: layout with several images': { argv: () => ['diff', '--tree', T(), `oci:${p('tree/.strata/store')}:core-nope`, 'core-tiny'], line: /core-nope.* — / },
};

async function runCase(c: BadCase, extra: readonly string[] = []): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO({}, c.cwd ? c.cwd() : p('empty'));
  const code = await main([...c.argv(), ...extra], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

for (const [name, c] of Object.entries(badCases)) {
  test(`bad input: ${name}`, async () => {
    const before = snapshot();
    const r = await runCase(c);
    const expected = c.exit ?? 2;
    assert.equal(r.code, expected, `exit status\n${r.err}`);
    assert.doesNotMatch(r.err, /internal error/);
    assert.equal(r.out, '', 'nothing on stdout');
    assert.ok(r.err.endsWith('\n') && r.err.indexOf('\n') === r.err.length - 1, `exactly one line on stderr:\n${r.err}`);
    const line = r.err.slice(0, -1);
    assert.match(line, c.line);
    assert.match(line, / — \S/, 'a hint after the dash');
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f]/, 'no control characters');
    assert.deepEqual(snapshot(), before, 'nothing written');

    // With --json (where the command has it) the same failure is also one JSON object on stdout.
    const argv = c.argv();
    const command = argv[0];
    if (c.noJson || command === undefined || !Object.hasOwn(commands, command) || ['doctor', 'diff'].includes(command)) return;
    const mod = (await commands[command]!.load()) as { spec?: { options: Record<string, unknown> } };
    if (!mod.spec || !Object.hasOwn(mod.spec.options, 'json')) return;
    const j = await runCase(c, ['--json']);
    assert.equal(j.code, expected);
    assert.equal(j.err, r.err);
    const doc = JSON.parse(j.out) as { error: { code: string; message: string; hint: string } };
    assert.match(doc.error.code, /^[a-z]+\/[a-z0-9-]+$/);
    assert.ok(doc.error.hint.length > 0);
    assert.deepEqual(snapshot(), before, 'nothing written (--json)');
  });
}

test('every command answers --help on stdout with exit 0 and lists --json when it prints a table', async () => {
  for (const name of Object.keys(commands)) {
    const io = bufferIO({}, p('empty'));
    assert.equal(await main([name, '--help'], io), 0, name);
    assert.equal(io.stderr(), '', name);
    assert.match(io.stdout(), new RegExp(`^usage: strata ${name}`), name);
    if (!['run', 'export', 'push', 'publish', 'pull', 'build'].includes(name)) assert.match(io.stdout(), /--json/, name);
  }
});

test('every --help states the summary as a sentence and gives the default of every option that has one', async () => {
  for (const name of Object.keys(commands)) {
    const io = bufferIO({}, p('empty'));
    assert.equal(await main([name, '--help'], io), 0, name);
    const summary = io.stdout().split('\n')[2] ?? '';
    assert.match(summary, /^[A-Z]/, `${name}: summary '${summary}'`);
  }
  const build = bufferIO({}, p('empty'));
  await main(['build', '--help'], build);
  assert.match(build.stdout(), /--run-timeout SECONDS +stop any RUN that takes longer \(default: no limit\)/);
  const status = bufferIO({}, p('empty'));
  await main(['status', '--help'], status);
  assert.match(status.stdout(), /--threshold M +distinct maintainers needed \(default: strata\.toml threshold, else 2\)/);
});

test("every usage line says [options] or names every option the command takes", async () => {
  for (const name of Object.keys(commands)) {
    const spec = ((await commands[name]!.load()) as unknown as { spec: { usage: string; options: Record<string, unknown> } }).spec;
    if (spec.usage.includes('[options]')) continue;
    const missing = Object.keys(spec.options).filter((o) => !spec.usage.includes(`--${o}`));
    assert.deepEqual(missing, [], `${name}: ${spec.usage}`);
  }
});

test("run's help does not promise that changes under --root are thrown away (they stay in DIR)", async () => {
  const io = bufferIO({}, p('empty'));
  assert.equal(await main(['run', '--help'], io), 0);
  assert.doesNotMatch(io.stdout(), /ENTRYPOINT and CMD run\. Changes are thrown away/);
  assert.match(io.stdout(), /With --root the command runs in DIR itself: what it changes stays in DIR/);
});

test("'strata --help' lists its own options and says how to get a command's help", async () => {
  const io = bufferIO({}, p('empty'));
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.stdout(), /\n +--version +print the version of strata\n/);
  assert.match(io.stdout(), /'strata help <command>'/);
});

/** Table and --json of one successful command carry the same images. */
const tableCommands: ReadonlyArray<{ argv: () => string[]; exit: number }> = [
  { argv: () => ['plan', '--tree', T()], exit: 0 },
  { argv: () => ['plan', '--tree', T(), '--all'], exit: 0 },
  { argv: () => ['fetch', '--tree', T(), '--all', '--offline', '--cache', p('empty')], exit: 0 },
  { argv: () => ['audit', '--tree', T()], exit: 0 },
  { argv: () => ['trace', '--tree', T(), 'core-tiny'], exit: 0 },
  { argv: () => ['status', '--tree', T()], exit: 0 },
  { argv: () => ['status', '--tree', T(), ...SIG(), ...TRUST(), '--threshold', '1'], exit: 0 },
  { argv: () => ['check', '--tree', T(), ...SIG(), '--all', '--threshold', '1'], exit: 0 },
  { argv: () => ['check', '--tree', T(), ...SIG(), '--all'], exit: 1 },
  { argv: () => ['fsck', '--tree', T()], exit: 0 },
  { argv: () => ['fsck', '--store', p('cutstore')], exit: 1 },
  { argv: () => ['gc', '--tree', T(), '--dry-run'], exit: 0 },
  { argv: () => ['diff', '--tree', T(), 'core-tiny', `oci:${p('tree/.strata/store')}:core-tiny`], exit: 0 },
  { argv: () => ['fetch', '--tree', T(), '--offline', '--cache', p('empty')], exit: 0 },
];

for (const c of tableCommands) {
  test(`table and --json agree: strata ${c.argv().map((a) => (a.startsWith(F) ? path.relative(F, a) : a)).join(' ')}`, async () => {
    const before = snapshot();
    const table = bufferIO({}, p('empty'));
    assert.equal(await main(c.argv(), table), c.exit, table.stderr());
    const json = bufferIO({}, p('empty'));
    assert.equal(await main([...c.argv(), '--json'], json), c.exit, json.stderr());
    assert.equal(json.stderr(), table.stderr(), 'the same lines on stderr');
    const doc = JSON.parse(json.stdout()) as unknown;
    assert.ok(doc !== null && typeof doc === 'object');
    for (const word of ['core-tiny', 'problems', 'identical']) {
      if (table.stdout().includes(word)) assert.ok(json.stdout().includes(word), `--json lacks '${word}' that the table shows`);
    }
    assert.deepEqual(snapshot(), before, 'nothing written');
  });
}

test('through the process, with stderr a pipe: exit codes, one error line, JSON on stdout, no terminal escapes', () => {
  const run = (args: string[]): { status: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: p('empty'), encoding: 'utf8', env: { ...process.env, CI: '' } });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const bad = run(['plan', '--tree', p('badtoml'), '--json']);
  assert.equal(bad.status, 2);
  assert.equal(bad.err.split('\n').length, 2, bad.err);
  assert.equal((JSON.parse(bad.out) as { error: { code: string } }).error.code, 'tree/malformed-toml');

  const failed = run(['check', '--tree', T(), ...SIG(), '--all']);
  assert.equal(failed.status, 1, failed.err);
  assert.match(failed.out, /core-tiny .* 1\/2 .* FAIL/);

  const ok = run(['fetch', '--tree', T(), '--offline', '--cache', p('empty')]);
  assert.equal(ok.status, 0, ok.err);
  for (const text of [bad.err, failed.err, ok.err]) assert.doesNotMatch(text, /\x1b/);
});

test('several errors with --json: the document lists each of them, as stderr has one line each', async () => {
  const tree = p('two-unbuilt');
  await fs.mkdir(tree);
  try {
    await makeTree('two-unbuilt', 'sha256:' + 'a'.repeat(64));
    await fs.appendFile(path.join(tree, 'digests/core.txt'), `${'b'.repeat(64)} core-other\n`);
    await OciStore.open(path.join(tree, '.strata/store'), { create: true });
    const io = bufferIO({}, p('empty'));
    const code = await main(['sign', '--tree', tree, '--signatures', p('sigs-two'), '--key', p('una.key'), '--all', '--json'], io);
    assert.equal(code, 1);
    assert.equal(io.stderr().split('\n').filter(Boolean).length, 2, io.stderr());
    const doc = JSON.parse(io.stdout()) as { error: { code: string; errors?: Array<{ code: string; message: string; location: { file: string; line: number } }> } };
    assert.equal(doc.error.errors?.length, 2, io.stdout());
    // in image order: core-other (line 2) before core-tiny (line 1)
    assert.deepEqual(doc.error.errors.map((e) => [e.code, e.location.line]), [['trust/not-built-here', 2], ['trust/not-built-here', 1]]);
    assert.match(doc.error.errors[0]!.message, /core-other/);
  } finally {
    await fs.rm(tree, { recursive: true, force: true });
  }
});

test("check's summary line has no '(s)': plurals follow the counts", async () => {
  const ok = bufferIO({}, p('empty'));
  assert.equal(await main(['check', '--tree', T(), ...SIG(), '--all', '--threshold', '1'], ok), 0, ok.stderr());
  assert.match(ok.stdout(), /\n1 image checked: it reaches 1 distinct maintainer signature\n$/);
  const short = bufferIO({}, p('empty'));
  assert.equal(await main(['check', '--tree', T(), ...SIG(), '--all', '--threshold', '2'], short), 1);
  assert.match(short.stdout(), /\n1 of 1 image below the threshold of 2 distinct maintainer signatures\n$/);
});

test('unreachable http signatures fail the check (exit 1) and say why', async () => {
  // A port that was free a moment ago: nothing listens there now.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const io = bufferIO({}, p('empty'));
  assert.equal(await main(['check', '--tree', T(), '--signatures', `http://127.0.0.1:${port}/sigs`, '--all', '--threshold', '1'], io), 1);
  assert.match(io.stdout(), /rejected signature-1: trust\/signature-unreadable: cannot fetch: ECONNREFUSED/);
});

test('a file-system error that reaches main names the path, gives a hint and exits 2 (1 for a full disk)', () => {
  const errno = (code: string, syscall: string, file: string): Error => Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file });
  const e = errorFromErrno(errno('ENOTDIR', 'mkdir', '/x/afile/keys'));
  assert.ok(e);
  assert.equal(e.format(), '/x/afile/keys: cannot create the directory: a file is in the way where a directory is needed — pass a directory, or remove the file that is in the way');
  assert.equal(e.exitCode, 2);
  assert.equal(errorFromErrno(errno('ENOSPC', 'write', '/x/store/blobs'))?.exitCode, 1);
  assert.equal(errorFromErrno(new Error('no errno')), undefined);
  assert.equal(errorFromErrno(errno('EWHATEVER', 'open', '/x')), undefined);
});

test('control characters in an error line are shown as \\xNN, so it stays one line', () => {
  assert.equal(oneLine('bad name \'a\nb\x1b[2J\' — hint'), "bad name 'a\\x0ab\\x1b[2J' — hint");
});
