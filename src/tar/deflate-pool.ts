/**
 * A pool of worker threads compressing blocks of the pinned block format (ADR 0057).
 * The pool only decides *where* a block is compressed, never *how*: every block's bytes
 * are a function of the block and its dictionary, so the pool size cannot change output.
 * Idle workers are unref'd, so a shared pool never keeps the process alive; `releaseIdle`
 * stops them (ADR 0184: after a large layer, so that they do not hold memory while it is
 * extracted); the next block starts a fresh one.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { StrataError } from '../errors.js';

export interface DeflateJob {
  readonly id: number;
  readonly block: Uint8Array;
  readonly dictionary: Uint8Array | undefined;
  readonly last: boolean;
}

/**
 * A worker's answer. `inputs` are the job's block and dictionary, handed back so that
 * their memory is freed by this thread's garbage collector, not left in the worker's.
 */
export type DeflateReply =
  | { readonly id: number; readonly out: Uint8Array; readonly inputs: readonly Uint8Array[] }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string; readonly hint: string | undefined }; readonly inputs: readonly Uint8Array[] };

/** The job's block and dictionary: transferred to the worker, and back with its reply. */
export function jobInputs(job: DeflateJob): Uint8Array[] {
  return job.dictionary ? [job.block, job.dictionary] : [job.block];
}

/** The distinct whole buffers behind `views` (a buffer listed twice cannot be transferred). */
export function transferList(views: readonly Uint8Array[]): ArrayBuffer[] {
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))].filter((b) => b.byteLength > 0);
}

interface Pending {
  readonly job: DeflateJob;
  readonly resolve: (out: Uint8Array) => void;
  readonly reject: (e: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: Pending | undefined;
  /** Stopped by releaseIdle: its exit is not a failure. */
  released: boolean;
}

const WORKER_URL = new URL('./deflate-worker.js', import.meta.url);

export class DeflatePool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`deflate pool size must be a positive integer, got ${size}`);
    this.size = size;
  }

  /** Workers running now (started on demand, stopped by releaseIdle or close). */
  get liveWorkers(): number {
    return this.slots.length;
  }

  /**
   * Stop the workers that have no job (their isolates and encoder state, ~10 MiB each, go
   * back to the system); busy ones stay. Later blocks start fresh workers (~35 ms of CPU
   * each). Returns how many were stopped.
   */
  releaseIdle(): number {
    const idle = this.slots.filter((s) => !s.busy);
    for (const s of idle) {
      this.slots.splice(this.slots.indexOf(s), 1);
      s.released = true;
      void s.worker.terminate();
    }
    return idle.length;
  }

  /**
   * Compress one block in a worker. The block's underlying buffer is transferred to the
   * worker: the caller must not touch it afterwards.
   */
  compress(block: Uint8Array, dictionary: Uint8Array | undefined, last: boolean): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('deflate pool is closed'));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, block, dictionary, last }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stop every worker; pending jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('deflate pool closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage(p.job, transferList(jobInputs(p.job)));
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, busy: undefined, released: false };
    worker.on('message', (reply: DeflateReply) => {
      const p = slot.busy;
      if (!p || p.job.id !== reply.id) return this.fail(slot, new Error(`deflate worker answered job ${reply.id} out of turn`));
      slot.busy = undefined;
      worker.unref();
      if ('out' in reply) p.resolve(reply.out);
      else p.reject(new StrataError(reply.error.code, reply.error.message, { hint: reply.error.hint, kind: 'build' }));
      this.dispatch();
    });
    worker.on('error', (e) => this.fail(slot, e));
    worker.on('exit', (code) => {
      if (!this.closed && !slot.released) this.fail(slot, new Error(`deflate worker exited with code ${code}`));
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  /** A worker died: fail its job, forget it; later jobs get a fresh worker. */
  private fail(slot: Slot, cause: unknown): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const p = slot.busy;
    slot.busy = undefined;
    void slot.worker.terminate();
    if (p) {
      p.reject(new StrataError('tar/compress-failed', `gzip compression failed in a worker thread: ${cause instanceof Error ? cause.message : String(cause)}`, {
        hint: 'retry the build; if it persists, run with STRATA_COMPRESS_THREADS=1 and report the error',
        kind: 'build',
        cause,
      }));
    }
    this.dispatch();
  }
}

let shared: DeflatePool | undefined;

/**
 * The process-wide pool: `STRATA_COMPRESS_THREADS` workers if set (it changes speed, never
 * bytes), else one per available core.
 */
export function sharedDeflatePool(): DeflatePool {
  if (!shared) shared = new DeflatePool(compressThreads(process.env.STRATA_COMPRESS_THREADS));
  return shared;
}

export function compressThreads(env: string | undefined): number {
  if (env === undefined || env === '') return Math.max(1, os.availableParallelism());
  const n = Number(env);
  if (!/^[0-9]+$/.test(env) || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new StrataError('tar/bad-compress-threads', `STRATA_COMPRESS_THREADS='${env}' is not a thread count`, {
      location: { file: 'STRATA_COMPRESS_THREADS' },
      hint: 'set it to a whole number from 1 to 256, or unset it to use one thread per core',
    });
  }
  return n;
}
