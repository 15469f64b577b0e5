/**
 * The store side of a pull: blobs arrive into the store's temp area (`tmp/`, through
 * BlobWriter, hashed as written) and stay there until the whole image has arrived and
 * verified. Only then are they renamed into `blobs/sha256/` (each rename re-checks digest
 * and size), manifest last; the caller sets the ref after that. If anything fails before,
 * `discard()` removes every staged file: the store is left exactly as it was.
 *
 * Each sink hashes what it is given (the BlobWriter does) and offers that digest to the
 * registry client through `finish`, so a pulled byte is hashed once, not twice (ADR 0124).
 * `finish` also fsyncs the temp file while other blobs are still downloading; the renames
 * at the end are followed by one fsync of `blobs/sha256/`, not one per blob (ADR 0125).
 */
import type { Digest } from '../digest/digest.js';
import { StrataError } from '../errors.js';
import type { BlobSink } from '../registry/index.js';
import type { BlobWriter, OciStore } from '../store/store.js';

interface Staged {
  readonly digest: Digest;
  readonly size: number;
  readonly writer: BlobWriter;
  verified: boolean;
}

export class StagedBlobs {
  private readonly staged: Staged[] = [];
  private finished = false;

  constructor(private readonly store: OciStore) {}

  /**
   * A sink for one blob. The registry client calls `commit()` once every byte matched
   * digest and size; that only marks the blob verified — nothing enters the store yet.
   */
  async sink(digest: Digest, size: number): Promise<BlobSink> {
    const writer = await this.store.openBlobWriter();
    const entry: Staged = { digest, size, writer, verified: false };
    this.staged.push(entry);
    return {
      write: (chunk) => writer.write(chunk),
      finish: () => writer.finish(),
      commit: () => {
        entry.verified = true;
      },
      abort: async () => {
        entry.verified = false;
        await writer.abort();
      },
    };
  }

  /** Stage bytes already verified in memory (a manifest, a config). */
  async stageBytes(digest: Digest, bytes: Uint8Array): Promise<void> {
    const s = await this.sink(digest, bytes.length);
    await s.write(bytes);
    await s.commit?.();
  }

  /** Digests staged so far, in order. */
  get digests(): Digest[] {
    return this.staged.map((s) => s.digest);
  }

  /**
   * Rename every staged blob into place, in staging order, then fsync `blobs/sha256/` once.
   * All must have verified. Every temp file is fsync'd before its rename (finish), so no
   * renamed blob can come back empty after a crash; the caller sets the ref only after this
   * returns, so no ref can name a blob whose rename a crash undid.
   */
  async commitAll(): Promise<void> {
    if (this.finished) throw new Error('StagedBlobs already finished');
    const unverified = this.staged.find((s) => !s.verified);
    if (unverified) {
      await this.discard();
      throw new StrataError('publish/unverified-blob', `blob ${unverified.digest} did not finish verifying`, {
        kind: 'check',
        hint: 'pull again; nothing was added to the store',
      });
    }
    this.finished = true;
    try {
      await Promise.all(this.staged.map((s) => s.writer.finish()));
      for (const s of this.staged) await s.writer.commit({ digest: s.digest, size: s.size }, { syncDirectory: false });
      await this.store.syncBlobDirectory();
    } catch (e) {
      for (const s of this.staged) await s.writer.abort();
      throw e;
    }
  }

  /** Remove every staged file (idempotent). */
  async discard(): Promise<void> {
    this.finished = true;
    for (const s of this.staged) await s.writer.abort();
  }
}
