/**
 * Integration: real builds in the real sandbox on a busybox base made at test time. One
 * tree holds several packages, built once; each test looks at one feature.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTree, type BuildReport } from './build.js';
import { addPackage, makeBusyboxTree, tempDir } from './testsupport/busybox-tree.js';
import { imageView, layerEntries } from './testsupport/inspect.js';
import type { LayeredFs } from './layered-fs.js';

const FEAT = `FROM stagex/core-busybox AS base
RUN mkdir -p /d/sub /lowdir/inner && echo x > /d/sub/f && echo y > /gone && echo z > /lowdir/inner/f && ln -s /d /linkdir && echo a > /hl1 && ln /hl1 /hl2 && mkdir -p /usr/lib && ln -s usr/lib /lib
RUN rm /gone && rm -rf /d && mkdir /d && echo new > /d/g && mv /lowdir /renamed
RUN ["/bin/sh", "-c", "echo exec > /exec-form"]
RUN <<EOF
echo heredoc > /heredoc
EOF
RUN cat <<A > /hd2
multi
A
COPY --chown=1000:1000 --chmod=0640 ctx.txt /owned.txt
COPY exec.sh plain.txt /ctx/
RUN cp /bin/busybox /suid && chmod 4755 /suid && chown 1000:1000 /ctx/plain.txt
USER 1000
RUN touch /tmp/by1000
USER 0
WORKDIR /work/dir
ARG VERSION
COPY <<EOF note.txt
hello $VERSION
EOF
ADD plain.tar /x/none/
ADD a.tar.gz /x/gzip/
ADD a.tar.bz2 /x/bzip2/
ADD a.tar.xz /x/xz/
ADD a.tar.zst /x/zstd/
ADD raw.gz /x/raw.gz
ENV FOO=bar
LABEL org.example.a=b
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "echo hi"]

FROM scratch AS files
COPY libx.so /lib/libx.so

FROM base
COPY --from=base /heredoc /from-stage
COPY --from=base /suid /suid2
COPY --from=files . /
RUN test -L /lib && test -f /usr/lib/libx.so
`;

let tree: string;
let report: BuildReport;
let view: LayeredFs;

function read(v: LayeredFs, p: string): string {
  const n = v.node(p);
  assert.ok(n, `${p} exists`);
  return readFileSync(n.abs, 'utf8');
}

before(async () => {
  tree = makeBusyboxTree();
  const pkg = addPackage(tree, 'core', 'feat', FEAT, {
    'ctx.txt': 'ctx\n',
    'exec.sh': '#!/bin/sh\necho exec\n',
    'plain.txt': 'plain\n',
    'libx.so': 'lib\n',
  });
  chmodSync(path.join(pkg, 'exec.sh'), 0o700);
  chmodSync(path.join(pkg, 'plain.txt'), 0o600);
  const src = tempDir('strata-archive-');
  mkdirSync(path.join(src, 'top', 'sub'), { recursive: true });
  writeFileSync(path.join(src, 'top', 'sub', 'file'), 'archived\n');
  chmodSync(path.join(src, 'top', 'sub', 'file'), 0o640);
  symlinkSync('sub/file', path.join(src, 'top', 'link'));
  execFileSync('tar', ['--sort=name', '--owner=7', '--group=8', '--numeric-owner', '-cf', path.join(pkg, 'plain.tar'), '-C', src, 'top']);
  const tarBytes = readFileSync(path.join(pkg, 'plain.tar'));
  writeFileSync(path.join(pkg, 'a.tar.gz'), execFileSync('gzip', ['-c', '-n'], { input: tarBytes }));
  writeFileSync(path.join(pkg, 'a.tar.bz2'), execFileSync('bzip2', ['-c'], { input: tarBytes }));
  writeFileSync(path.join(pkg, 'a.tar.xz'), execFileSync('xz', ['-c'], { input: tarBytes }));
  writeFileSync(path.join(pkg, 'a.tar.zst'), execFileSync('zstd', ['-c', '-q'], { input: tarBytes }));
  writeFileSync(path.join(pkg, 'raw.gz'), execFileSync('gzip', ['-c', '-n'], { input: 'not a tar\n' }));
  report = await buildTree({ tree, images: ['core-feat'] });
  view = await imageView(report.store, 'core-feat');
});

test('shell, exec and heredoc RUN', () => {
  assert.equal(read(view, 'exec-form'), 'exec\n');
  assert.equal(read(view, 'heredoc'), 'heredoc\n');
  assert.equal(read(view, 'hd2'), 'multi\n');
});

// the busybox base has two layers: the first RUN of core-feat is layer 2
test('whiteouts, opaque directory, renamed lower directory in the layer tar', async () => {
  const names = (await layerEntries(report.store, 'core-feat', 3)).map((e) => e.name);
  assert.ok(names.includes('.wh.gone'), names.join(','));
  assert.ok(names.includes('d/.wh..wh..opq'), names.join(','));
  assert.ok(names.includes('.wh.lowdir'), names.join(','));
  assert.ok(names.includes('renamed/inner/f'), names.join(','));
  assert.ok(!names.some((n) => n.includes('trusted.overlay')));
  assert.equal(view.node('gone'), undefined);
  assert.equal(view.node('d/sub'), undefined);
  assert.equal(read(view, 'd/g'), 'new\n');
  assert.equal(read(view, 'renamed/inner/f'), 'z\n');
  assert.equal(view.node('lowdir'), undefined);
});

test('hardlinks and symlinks', async () => {
  const entries = await layerEntries(report.store, 'core-feat', 2);
  const hl2 = entries.find((e) => e.name === 'hl2');
  assert.equal(hl2?.kind, 'hardlink');
  assert.equal(hl2?.linkname, 'hl1');
  assert.equal(view.node('linkdir')?.linkTarget, '/d');
});

test('setuid through RUN and COPY --from; --chown/--chmod; context modes normalised', () => {
  assert.equal(view.node('suid')?.mode, 0o4755);
  assert.equal(view.node('suid2')?.mode, 0o4755);
  const owned = view.node('owned.txt')!;
  assert.equal(owned.mode, 0o640);
  assert.equal(owned.uid, 1000);
  assert.equal(owned.gid, 1000);
  assert.equal(view.node('ctx/exec.sh')?.mode, 0o755);
  assert.equal(view.node('ctx/exec.sh')?.uid, 0);
  assert.equal(view.node('ctx/plain.txt')?.mode, 0o644);
  assert.equal(view.node('ctx/plain.txt')?.uid, 1000, 'chown in RUN is captured');
});

test('USER: files a RUN creates are owned by that user', () => {
  assert.equal(view.node('tmp/by1000')?.uid, 1000);
});

test('WORKDIR and COPY heredoc with expansion', () => {
  assert.equal(view.node('work/dir')?.kind, 'dir');
  assert.equal(read(view, 'work/dir/note.txt'), 'hello 1.0\n');
});

test('ADD extracts plain, gzip, bzip2, xz and zstd archives; other files are copied', () => {
  for (const kind of ['none', 'gzip', 'bzip2', 'xz', 'zstd']) {
    assert.equal(read(view, `x/${kind}/top/sub/file`), 'archived\n', kind);
    const n = view.node(`x/${kind}/top/sub/file`)!;
    assert.equal(n.mode, 0o640, kind);
    assert.equal(n.uid, 7, kind);
    assert.equal(view.node(`x/${kind}/top/link`)?.linkTarget, 'sub/file', kind);
  }
  assert.equal(view.node('x/raw.gz')?.kind, 'file');
});

test('multi-stage COPY --from, whole-image COPY --from=x . / onto a symlinked directory', () => {
  assert.equal(read(view, 'from-stage'), 'heredoc\n');
  assert.equal(view.node('lib')?.kind, 'symlink');
  assert.equal(read(view, 'usr/lib/libx.so'), 'lib\n');
});

test('image config: env, labels, ports, entrypoint, cmd, workdir, history; skopeo and umoci read it', () => {
  const out = execFileSync('skopeo', ['inspect', '--config', `oci:${report.store}:core-feat`], { encoding: 'utf8' });
  const cfg = JSON.parse(out) as { created: string; architecture: string; config: Record<string, unknown>; history: { created: string; empty_layer?: boolean }[]; rootfs: { diff_ids: string[] } };
  assert.equal(cfg.created, '1970-01-01T00:00:01Z');
  assert.equal(cfg.architecture, 'amd64');
  assert.ok((cfg.config['Env'] as string[]).includes('FOO=bar'));
  assert.deepEqual(cfg.config['Labels'], { 'org.example.a': 'b' });
  assert.deepEqual(cfg.config['ExposedPorts'], { '8080/tcp': {} });
  assert.deepEqual(cfg.config['Entrypoint'], ['/bin/sh']);
  assert.deepEqual(cfg.config['Cmd'], ['-c', 'echo hi']);
  assert.equal(cfg.config['WorkingDir'], '/work/dir');
  assert.equal(cfg.config['StopSignal'], 'SIGTERM');
  assert.equal(cfg.history.filter((h) => !h.empty_layer).length, cfg.rootfs.diff_ids.length);
  assert.ok(cfg.history.every((h) => h.created === '1970-01-01T00:00:01Z'));
  const bundle = path.join(tempDir('strata-umoci-'), 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${report.store}:core-feat`, bundle], { stdio: 'pipe' });
  assert.equal(readFileSync(path.join(bundle, 'rootfs', 'heredoc'), 'utf8'), 'heredoc\n');
});
