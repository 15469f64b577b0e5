import { StrataErrors, type StrataError } from '../errors.js';

/** Where a command writes. Tests pass buffers; the CLI passes the process streams. */
export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is an interactive terminal (progress may redraw lines). */
  readonly interactive: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Print one `--json` document on stdout, in the one style of every command (jsonText). */
  readonly json: (value: unknown) => void;
}

/**
 * The one layout of every `--json` answer (docs/adr/0175): one JSON document, indented by
 * two spaces, ending in a newline. Failures with --json are one such document too:
 * `{"error": {...}}`.
 */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function processIO(): CliIO {
  const out = (t: string): void => void process.stdout.write(t);
  return {
    out,
    err: (t) => void process.stderr.write(t),
    interactive: Boolean(process.stderr.isTTY) && !process.env['CI'],
    env: process.env,
    cwd: process.cwd(),
    json: (v) => out(jsonText(v)),
  };
}

/** An IO that records everything, for tests that call commands without spawning. */
export function bufferIO(env: Record<string, string | undefined> = {}, cwd = process.cwd()): CliIO & {
  stdout: () => string;
  stderr: () => string;
} {
  let o = '';
  let e = '';
  return {
    out: (t) => void (o += t),
    err: (t) => void (e += t),
    interactive: false,
    env,
    cwd,
    json: (v) => void (o += jsonText(v)),
    stdout: () => o,
    stderr: () => e,
  };
}

/**
 * Control characters from user files (a binary MAINTAINERS, a name with a newline) must not
 * split the one line of an error or drive the terminal: show them as \xNN.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line per error (a StrataErrors carries several). */
export function errorLines(e: StrataError): string {
  return (e instanceof StrataErrors ? e.errors : [e]).map((x) => oneLine(x.format())).join('\n');
}
