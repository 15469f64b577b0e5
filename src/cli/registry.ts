/**
 * The command table: name → summary and a lazy loader, so `strata plan` never loads the
 * OpenPGP or compression modules that other commands need. One file per command under
 * commands/, each exporting `run(argv, io): Promise<number>` (the exit code).
 */
import type { CliIO } from './io.js';

export interface CommandModule {
  run(argv: readonly string[], io: CliIO): Promise<number>;
  /** The command's options (for --help and to know whether it answers --json). */
  readonly spec?: { readonly options: Readonly<Record<string, unknown>> };
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export const commands: Readonly<Record<string, CommandEntry>> = {
  plan: { summary: 'show the build plan: images, dependencies, levels', load: () => import('./commands/plan.js') },
  fetch: { summary: 'download and verify sources into the cache', load: () => import('./commands/fetch.js') },
  doctor: { summary: 'check the host: bubblewrap, overlayfs, user namespaces, i386, free disk', load: () => import('./commands/doctor.js') },
  fsck: { summary: 'check the store: every blob hash, every reference, no leftovers', load: () => import('./commands/fsck.js') },
  gc: { summary: 'remove unreferenced blobs and temporary leftovers from the store', load: () => import('./commands/gc.js') },
  build: { summary: 'build images of the tree into the store, reproducibly', load: () => import('./commands/build.js') },
  export: { summary: 'write one built image as its own OCI layout', load: () => import('./commands/export.js') },
  run: { summary: 'run a command in a built image (or a kept failed root) in the sandbox', load: () => import('./commands/run.js') },
  check: { summary: 'check that each digest is signed by M distinct maintainers', load: () => import('./commands/check.js') },
  policy: { summary: 'write policy.json and registries.d for podman/skopeo users', load: () => import('./commands/policy.js') },
  sign: { summary: 'sign the digests this machine reproduced (lookaside signatures)', load: () => import('./commands/sign.js') },
  diff: { summary: 'compare two images: manifests, configs, layers, files', load: () => import('./commands/diff.js') },
  verify: { summary: 'rebuild from scratch and compare with digests/*.txt; explain every mismatch', load: () => import('./commands/verify.js') },
  audit: { summary: 'does every image descend from a declared seed? (bootstrapped: yes/no, why)', load: () => import('./commands/audit.js') },
  trace: { summary: 'show the chain from an image back to its seed, or to what makes it not bootstrapped', load: () => import('./commands/trace.js') },
  publish: { summary: 'push images that reach the maintainer quorum, with tags and lookaside signatures', load: () => import('./commands/publish.js') },
  push: { summary: 'push images without the quorum check (needs --no-quorum)', load: () => import('./commands/push.js') },
  pull: { summary: 'pull an image into the store only if a quorum of maintainers signed its digest', load: () => import('./commands/pull.js') },
  status: { summary: 'one row per image: digest, size, bootstrapped, signers', load: () => import('./commands/status.js') },
};
