/**
 * The one reference grammar (docs/adr/0176), as the signature identity (parseNormalizedReference)
 * and the distribution client (parseReference) see it. Each row of DIFFERENCES is a case on
 * which the two parsers strata used to have disagreed, with the answer the
 * distribution/reference grammar (and go-digest, which it calls) gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedRepositoryPath, formatReference, parseNormalizedReference } from './docker-reference.js';
import { parseReference, parseRepositoryPrefix } from '../registry/reference.js';
import { isStrataError } from '../errors.js';

const H64 = 'ab'.repeat(32);

interface Row {
  readonly input: string;
  /** What the grammar says: the normalised reference, or 'invalid'. */
  readonly identity: string | 'invalid';
  /** What the transfer does with it: the normalised reference, or a pattern its refusal matches. */
  readonly transport: string | RegExp;
  /** Which parser was wrong before, and why the grammar's answer is right. */
  readonly why: string;
}

const DIFFERENCES: readonly Row[] = [
  {
    input: '[::1]:5000/a/b:t',
    identity: '[::1]:5000/a/b:t',
    transport: '[::1]:5000/a/b:t',
    why: 'the identity parser refused IPv6 hosts; the grammar has host := "[" [a-fA-F0-9:]+ "]"',
  },
  {
    input: '[::ffff:127.0.0.1]:5000/a/b',
    identity: 'invalid',
    transport: /invalid registry host/,
    why: 'the transport accepted dots inside brackets; the grammar excludes the IPv4-mapped dotted form',
  },
  {
    input: `quay.io/x/y@sha512:${'cd'.repeat(64)}`,
    identity: `quay.io/x/y@sha512:${'cd'.repeat(64)}`,
    transport: /sha256 digest only, not sha512/,
    why: 'the transport called any non-sha256 digest malformed; sha512 is valid syntax, the transfer just cannot fetch it',
  },
  {
    input: `quay.io/x/y@sha256:${H64.toUpperCase()}`,
    identity: 'invalid',
    transport: /invalid digest/,
    why: 'the identity parser accepted upper-case hex; go-digest requires lower-case for sha256',
  },
  {
    input: `quay.io/x/y@md5:${'ab'.repeat(16)}`,
    identity: 'invalid',
    transport: /unsupported digest algorithm 'md5'/,
    why: 'the identity parser accepted any algorithm with 32+ hex digits; go-digest knows sha256, sha384, sha512',
  },
  {
    input: `quay.io/x/y@sha256:${'ab'.repeat(16)}`,
    identity: 'invalid',
    transport: /takes 64 lower-case hex digits/,
    why: 'the identity parser accepted a short sha256; go-digest checks the length per algorithm',
  },
  {
    input: 'Registry/foo:1',
    identity: 'Registry/foo:1',
    transport: 'Registry/foo:1',
    why: 'the transport treated an upper-case first component as a namespace and refused it; the grammar makes it a registry host',
  },
  {
    input: 'registry-1.docker.io/busybox',
    identity: 'registry-1.docker.io/busybox',
    transport: 'registry-1.docker.io/busybox',
    why: 'the transport folded registry-1.docker.io into docker.io (adding library/); the grammar folds only index.docker.io',
  },
  {
    input: 'INDEX.DOCKER.IO/stagex/x',
    identity: 'INDEX.DOCKER.IO/stagex/x',
    transport: 'INDEX.DOCKER.IO/stagex/x',
    why: 'the transport compared the Docker Hub alias case-insensitively; the grammar compares it exactly',
  },
  {
    input: H64,
    identity: 'invalid',
    transport: /image id/,
    why: 'the transport took a bare 64-hex string as docker.io/library/<hex>; ParseNormalizedNamed refuses it as an image id',
  },
  {
    input: `stagex/${'a'.repeat(245)}`,
    identity: 'invalid',
    transport: /longer than 255/,
    why: 'both counted the name without "docker.io/" (252 characters); the grammar counts the normalised name (262)',
  },
  {
    input: `reg.example/${'a'.repeat(250)}`,
    identity: 'invalid',
    transport: /longer than 255/,
    why: 'the transport counted only the repository path (250); the grammar counts the name with its host (262)',
  },
  {
    input: 'reg.example:99999/a/b',
    identity: 'reg.example:99999/a/b',
    transport: /port 99999 is out of range/,
    why: 'port := [0-9]+ in the grammar, so the identity is valid; a transfer needs a port it can connect to (its own rule)',
  },
];

function identityOf(input: string): string {
  try {
    return formatReference(parseNormalizedReference(input));
  } catch {
    return 'invalid';
  }
}

for (const row of DIFFERENCES) {
  test(`reference grammar: ${row.input.length > 60 ? `${row.input.slice(0, 57)}...` : row.input} (${row.why})`, () => {
    assert.equal(identityOf(row.input), row.identity);
    if (typeof row.transport === 'string') {
      const r = parseReference(row.input);
      assert.equal(`${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`, row.transport);
    } else {
      assert.throws(
        () => parseReference(row.input),
        (e: unknown) => isStrataError(e) && e.code === 'registry/bad-reference' && e.exitCode === 2 && (row.transport as RegExp).test(e.message),
      );
    }
  });
}

test('reference grammar: where both parsers agreed, they still agree', () => {
  const same: Array<[string, string]> = [
    ['stagex/core-zlib:1.3.1', 'docker.io/stagex/core-zlib:1.3.1'],
    ['docker.io/stagex/core-zlib:1.3.1', 'docker.io/stagex/core-zlib:1.3.1'],
    ['index.docker.io/stagex/x', 'docker.io/stagex/x'],
    ['busybox', 'docker.io/library/busybox'],
    ['docker.io/busybox:1', 'docker.io/library/busybox:1'],
    ['localhost/foo', 'localhost/foo'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    [`127.0.0.1:5000/stagex/core-gcc@sha256:${H64}`, `127.0.0.1:5000/stagex/core-gcc@sha256:${H64}`],
    ['ghcr.io/org/sub/img', 'ghcr.io/org/sub/img'],
    ['reg.example/a__b/c-d/e.f_g--h', 'reg.example/a__b/c-d/e.f_g--h'],
  ];
  for (const [input, want] of same) {
    assert.equal(identityOf(input), want, input);
    const r = parseReference(input);
    assert.equal(`${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`, want, input);
  }
  for (const bad of ['', 'a//b', 'a/b:', 'a/b:-x', '-a/b', 'a/b c', 'a/../b', 'stagex/Core', 'Stagex/Core', 'a/b@', 'a/b@sha256:12', 'reg.example/a_/b', '[::1/a']) {
    assert.equal(identityOf(bad), 'invalid', bad);
    assert.throws(() => parseReference(bad), { code: 'registry/bad-reference' } as object, bad);
  }
});

test('reference grammar: the repository path strata expects for an image', () => {
  assert.equal(expectedRepositoryPath('stagex', 'core-zlib'), 'stagex/core-zlib');
  assert.equal(expectedRepositoryPath('docker.io/stagex', 'core-zlib'), 'stagex/core-zlib');
  assert.throws(() => expectedRepositoryPath('stagex', 'Core-zlib'), /lower-case/);
});

test('reference grammar: publish --to takes the host rule and the path rule of the same grammar', () => {
  assert.deepEqual(parseRepositoryPrefix('[::1]:5000/stagex'), { registry: '[::1]:5000', namespace: 'stagex' });
  assert.deepEqual(parseRepositoryPrefix('Registry/stagex'), { registry: 'Registry', namespace: 'stagex' });
  assert.deepEqual(parseRepositoryPrefix('index.docker.io/stagex'), { registry: 'docker.io', namespace: 'stagex' });
  for (const bad of ['stagex/core', '[::ffff:1.2.3.4]/x', 'reg.example/Stagex', 'reg.example:0/x', `reg.example/${'a'.repeat(250)}`]) {
    assert.throws(() => parseRepositoryPrefix(bad), { code: 'registry/bad-reference' } as object, bad);
  }
});
