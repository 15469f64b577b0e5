/**
 * Test helpers: a temporary tree whose `core-busybox` package builds a small base image
 * from the host's static busybox (copied into the package directory at test time; no
 * binary is committed), plus helpers to add packages and run the CLI in-process.
 * Reusable by other modules' tests (verify, run, export…).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HOST_BUSYBOX = '/bin/busybox';

export const BUSYBOX_CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /tmp /etc /root && /bin/busybox chmod 1777 /tmp && /bin/busybox --install -s && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group"]
`;

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Write `files` (path → content; a Buffer for binary) under `dir`. */
export function writeFiles(dir: string, files: Readonly<Record<string, string | Buffer>>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** Add `packages/<stage>/<name>/` with a package.toml, a Containerfile and extra context files. */
export function addPackage(tree: string, stage: string, name: string, containerfile: string, files: Readonly<Record<string, string | Buffer>> = {}, toml = ''): string {
  const dir = path.join(tree, 'packages', stage, name);
  writeFiles(dir, {
    'package.toml': `[package]\nname = "${name}"\nversion = "1.0"\n${toml}`,
    Containerfile: containerfile,
    ...files,
  });
  return dir;
}

/** A new temporary tree holding the `core-busybox` package. */
export function makeBusyboxTree(prefix = 'strata-build-tree-'): string {
  const tree = tempDir(prefix);
  writeFiles(tree, { 'strata.toml': 'namespace = "stagex"\n' });
  const dir = addPackage(tree, 'core', 'busybox', BUSYBOX_CONTAINERFILE);
  copyFileSync(HOST_BUSYBOX, path.join(dir, 'busybox'));
  return tree;
}
