/**
 * Test support for the crash and fault tests: a small multi-image busybox tree, the CLI
 * run as a child process (so it can be SIGKILLed), a seeded RNG, and the checks every
 * fault test repeats (store integrity, refs and digests files equal to a reference).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fsckStore, type StoreProblem } from '../../store/fsck.js';
import { OciStore } from '../../store/store.js';
import { cliPath } from '../../testutil/paths.js';
import { addPackage, makeBusyboxTree } from '../testsupport/busybox-tree.js';

/** Problems that are debris of an interrupted process, not damage: `strata gc` clears them. */
export const DEBRIS = new Set(['store/temp-leftover', 'store/stale-lock']);

/** busybox → a → b → user-d, and c (from busybox, COPY --from a): 5 images, 2 stages, several layers each. */
export function makeLayeredTree(prefix = 'strata-crash-tree-'): string {
  const tree = makeBusyboxTree(prefix);
  addPackage(tree, 'core', 'a', `FROM stagex/core-busybox
COPY a.txt /opt/a.txt
RUN mkdir -p /opt/a && for i in 1 2 3 4 5 6 7 8; do echo "a $i" > /opt/a/$i; done
RUN cat /opt/a/* > /opt/a.all && rm /opt/a/8
`, { 'a.txt': 'alpha\n' });
  addPackage(tree, 'core', 'b', `FROM stagex/core-a
RUN mkdir /opt/b && cp /opt/a.all /opt/b/copy && ln -s copy /opt/b/link
RUN rm -rf /opt/a && mkdir /opt/a && echo replaced > /opt/a/new
`);
  addPackage(tree, 'core', 'c', `FROM stagex/core-busybox
COPY --from=stagex/core-a /opt/a.all /opt/c/from-a
RUN echo c >> /opt/c/from-a && chmod 0600 /opt/c/from-a
`);
  addPackage(tree, 'user', 'd', `FROM stagex/core-b
RUN echo d > /d && cat /opt/b/link >> /d
`);
  return tree;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/cli/main.js ARGS` in its own process group; `kill()` SIGKILLs the whole group. */
export function startCli(args: readonly string[]): { pid: number; done: Promise<Exit>; kill: () => void } {
  const child = spawn(process.execPath, [cliPath, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  let exited = false;
  void done.then(() => (exited = true));
  return {
    pid: child.pid!,
    done,
    kill: () => {
      if (exited) return;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}

export async function runCli(args: readonly string[]): Promise<Exit> {
  return startCli(args).done;
}

/** mulberry32: a small seeded PRNG, so every run kills at the same (relative) points. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every `digests/<stage>.txt` of a tree: file name → text. */
export function readDigestFiles(tree: string): Map<string, string> {
  const dir = path.join(tree, 'digests');
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir).sort()) if (n.endsWith('.txt')) out.set(n, readFileSync(path.join(dir, n), 'utf8'));
  return out;
}

/** image → digest hex, from digests files; throws on any malformed line. */
export function digestLines(files: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [n, text] of files) {
    for (const line of text.split('\n').slice(0, -1)) {
      const m = /^([0-9a-f]{64}) (\S+)$/.exec(line);
      if (!m) throw new Error(`${n}: malformed line ${JSON.stringify(line)}`);
      out.set(m[2]!, m[1]!);
    }
    if (text !== '' && !text.endsWith('\n')) throw new Error(`${n}: torn file ${JSON.stringify(text)}`);
  }
  return out;
}

/**
 * Problems fsck finds that are damage (not debris of a dead process). A build killed
 * before its store got its oci-layout file (a fresh store, killed while loading the tree
 * or creating the layout) leaves no store, or empty blobs/ and tmp/ directories the next
 * build completes: that is no damage, but any blob there would be.
 */
export async function damage(store: string): Promise<StoreProblem[]> {
  if (!existsSync(path.join(store, 'oci-layout'))) {
    const blobs = path.join(store, 'blobs', 'sha256');
    const left = existsSync(blobs) ? readdirSync(blobs) : [];
    return left.map((n) => ({ code: 'test/blob-without-layout', path: `blobs/sha256/${n}`, message: 'a blob in a store that has no oci-layout yet', hint: 'the layout is written before any blob' }));
  }
  const report = await fsckStore(store);
  return report.problems.filter((p) => !DEBRIS.has(p.code));
}

/** ref → digest hex of every image in the store. */
export async function storeRefs(store: string): Promise<Map<string, string>> {
  // killed before the layout was written: no store yet, so no refs
  if (!existsSync(path.join(store, 'oci-layout'))) return new Map();
  const s = await OciStore.open(store);
  return new Map((await s.listImages()).map((r) => [r.ref, r.descriptor.digest.slice('sha256:'.length)]));
}
