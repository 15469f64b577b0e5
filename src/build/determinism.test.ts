/**
 * Integration: two cold builds of the same tree in different directories, by separate
 * processes under a different umask, TZ, locale and job count, give identical digests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cliPath } from '../testutil/paths.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';

const APP = `FROM stagex/core-busybox
COPY tool.sh data.txt /opt/
RUN mkdir -p /out && echo "$(cat /opt/data.txt)" > /out/result && ln -s result /out/link && touch /out/empty
COPY --from=stagex/core-busybox /bin/busybox /opt/bb
`;

function makeTree(hostMode: number): string {
  const tree = makeBusyboxTree('strata-det-');
  const dir = addPackage(tree, 'core', 'app', APP, { 'tool.sh': '#!/bin/sh\n', 'data.txt': 'data\n' });
  chmodSync(path.join(dir, 'tool.sh'), hostMode | 0o100);
  chmodSync(path.join(dir, 'data.txt'), hostMode);
  return tree;
}

function build(tree: string, umask: string, env: Record<string, string>, jobs: string): string {
  const store = path.join(tempDir('strata-det-store-'), 'store');
  execFileSync('/bin/sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, cliPath, 'build', '--all', '--jobs', jobs, '--tree', tree, '--store', store],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: 'pipe' });
  return readFileSync(path.join(tree, 'digests', 'core.txt'), 'utf8');
}

test('different directory, umask, TZ, locale and jobs → identical digests', () => {
  const a = build(makeTree(0o600), '077', { TZ: 'Pacific/Kiritimati', LANG: 'C', LC_ALL: 'C' }, '1');
  const b = build(makeTree(0o664), '002', { TZ: 'America/Adak', LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' }, '3');
  assert.match(a, /^[0-9a-f]{64} core-app\n[0-9a-f]{64} core-busybox\n$/);
  assert.equal(a, b);
});
