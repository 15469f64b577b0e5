/**
 * A small progress reporter shared by commands that work through many items (fetch, build,
 * verify…). On an interactive terminal it redraws one status line — `[done/total] bytes ·
 * current items` — and prints a line above it whenever an item finishes with something to
 * say. Elsewhere (CI, pipes) it never redraws: it prints one plain line per finished item.
 * All output goes through `write` (stderr in the CLI).
 */

export interface ProgressOptions {
  readonly write: (text: string) => void;
  /** Redraw a status line (true on a terminal) or print plain lines (false). */
  readonly interactive: boolean;
  /** How many items there are, if known. */
  readonly total?: number;
  /** Terminal width for the status line. */
  readonly columns?: number;
  /** Minimum ms between redraws caused by byte counts (finishing always redraws). */
  readonly redrawIntervalMs?: number;
  /** Clock for throttling redraws; injectable for tests. */
  readonly now?: () => number;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export class Progress {
  private readonly opts: ProgressOptions;
  private readonly active = new Map<string, string>();
  private done = 0;
  private bytes = 0;
  private lastDraw = -Infinity;
  private drawn = false;
  private closed = false;

  constructor(opts: ProgressOptions) {
    this.opts = opts;
  }

  /** An item started; `label` is what the status line shows for it. */
  start(key: string, label: string): void {
    this.active.set(key, label);
    this.redraw(true);
  }

  /** `n` more bytes moved for an item. */
  addBytes(n: number): void {
    this.bytes += n;
    this.redraw(false);
  }

  /** An item is finished; `line` (if any) is printed on its own line. */
  finish(key: string, line?: string): void {
    this.active.delete(key);
    this.done++;
    if (line !== undefined) this.print(line);
    this.redraw(true);
  }

  /** Print a line without finishing anything (e.g. a warning). */
  print(line: string): void {
    if (this.opts.interactive) this.clear();
    this.opts.write(`${line}\n`);
  }

  /** Remove the status line; call once at the end. */
  close(): void {
    if (this.opts.interactive) this.clear();
    this.closed = true;
  }

  /** The status line as it would be drawn now. */
  statusLine(): string {
    const total = this.opts.total !== undefined ? `/${this.opts.total}` : '';
    const current = [...this.active.values()];
    const shown = current.slice(0, 3).join(', ') + (current.length > 3 ? ` +${current.length - 3}` : '');
    const line = `[${this.done}${total}] ${formatBytes(this.bytes)}${shown ? ` · ${shown}` : ''}`;
    const width = Math.max(20, (this.opts.columns ?? 80) - 1);
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  }

  private clear(): void {
    if (this.drawn) {
      this.opts.write('\r\x1b[K');
      this.drawn = false;
    }
  }

  private redraw(force: boolean): void {
    if (!this.opts.interactive || this.closed) return;
    const now = (this.opts.now ?? Date.now)();
    if (!force && now - this.lastDraw < (this.opts.redrawIntervalMs ?? 100)) return;
    this.lastDraw = now;
    this.opts.write(`\r\x1b[K${this.statusLine()}`);
    this.drawn = true;
  }
}
