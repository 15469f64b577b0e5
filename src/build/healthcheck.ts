/**
 * HEALTHCHECK → the image config's `Healthcheck` member, as Docker records it (ADR 0170):
 * `Test` is ["NONE"], ["CMD", argv…] (exec form) or ["CMD-SHELL", script] (shell form);
 * Interval, Timeout, StartPeriod and StartInterval are nanoseconds; Retries a count; zero
 * members are left out. Durations are read the way Go's time.ParseDuration reads them
 * (Docker's parser), then held to Docker's rules: 0 means "not set", anything else must
 * be at least 1 ms. Pure.
 */
import type { HealthcheckInstruction, Loc } from '../containerfile/types.js';
import type { SourceLocation } from '../errors.js';
import type { HealthConfig } from '../oci/types.js';
import { inputError } from './errors.js';

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** The largest duration the config can carry: canonical JSON numbers are safe integers. */
const MAX_DURATION_NS = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_DURATION_NS = 1_000_000n; // Docker's container.MinimumDuration (1 ms)
const INT64_MAX = (1n << 63n) - 1n;

/**
 * A Go duration string ("30s", "1m30s", "1.5h", "500ms", "0") in nanoseconds, or a
 * description of what is wrong. Fractions are scaled as Go does (through a float64), so
 * the nanoseconds match Docker's to the last digit.
 */
export function parseGoDuration(text: string): bigint | string {
  if (text === '0') return 0n;
  if (text === '') return 'is empty';
  let rest = text;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const whole = m[1]!;
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return `'${rest}' does not start with a number`;
    rest = rest.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(rest);
    if (!u) return `'${m[0]}' has no unit (ns, us, ms, s, m or h)`;
    const unit = UNIT_NS[u[0]];
    if (unit === undefined) return `unknown unit '${u[0]}' (use ns, us, ms, s, m or h)`;
    rest = rest.slice(u[0].length);
    const v = BigInt(whole === '' ? '0' : whole);
    if (v > INT64_MAX / unit) return 'is too long';
    let part = v * unit;
    if (frac !== undefined && frac !== '') {
      // Go: leading fraction digits until they would overflow int64, then float64 scaling
      let f = 0n;
      let scale = 1;
      for (const c of frac) {
        if (f > INT64_MAX / 10n) break;
        const y = f * 10n + BigInt(c.charCodeAt(0) - 48);
        if (y > 1n << 63n) break;
        f = y;
        scale *= 10;
      }
      part += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    }
    total += part;
    if (total > INT64_MAX) return 'is too long';
  }
  return total;
}

function flagLocation(file: string, ins: HealthcheckInstruction, name: string): SourceLocation {
  const loc: Loc = ins.flags.find((f) => f.name === name)?.loc ?? ins.loc;
  return { file, line: loc.line, col: loc.col };
}

function durationNs(file: string, ins: HealthcheckInstruction, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const where = flagLocation(file, ins, name);
  const ns = parseGoDuration(value);
  if (typeof ns === 'string') {
    throw inputError('build/bad-healthcheck-duration', `HEALTHCHECK --${name}=${value}: the duration ${ns}`, 'write a duration such as 30s, 1m30s or 500ms', where);
  }
  if (ns === 0n) return undefined;
  if (ns < MIN_DURATION_NS) {
    throw inputError('build/bad-healthcheck-duration', `HEALTHCHECK --${name}=${value} is shorter than 1ms`, 'Docker refuses health check durations under 1ms: write 0 (the default) or at least 1ms', where);
  }
  if (ns > MAX_DURATION_NS) {
    throw inputError('build/bad-healthcheck-duration', `HEALTHCHECK --${name}=${value} is longer than ${Number.MAX_SAFE_INTEGER} ns (about 104 days)`, 'write a shorter duration: the image config records nanoseconds as exact JSON integers', where);
  }
  return Number(ns);
}

/** The config member for one HEALTHCHECK instruction; `file` names the Containerfile in errors. */
export function healthConfig(ins: HealthcheckInstruction, file: string): HealthConfig {
  if (ins.command === undefined) return { Test: ['NONE'] };
  let test: string[];
  if (ins.command.form === 'exec') {
    if (ins.command.argv.length === 0) {
      throw inputError('build/bad-healthcheck', 'HEALTHCHECK CMD [] has no command', 'name the program to run, e.g. HEALTHCHECK CMD ["/bin/check"], or write HEALTHCHECK NONE', { file, ...ins.loc });
    }
    test = ['CMD', ...ins.command.argv];
  } else {
    test = ['CMD-SHELL', ins.command.script];
  }
  let retries: number | undefined;
  if (ins.retries !== undefined) {
    const n = BigInt(ins.retries);
    if (n > 2_147_483_647n) {
      throw inputError('build/bad-healthcheck-retries', `HEALTHCHECK --retries=${ins.retries} is too large`, 'Docker takes at most 2147483647 retries; write a smaller number', flagLocation(file, ins, 'retries'));
    }
    retries = n === 0n ? undefined : Number(n);
  }
  const members: [keyof HealthConfig, number | undefined][] = [
    ['Interval', durationNs(file, ins, 'interval', ins.interval)],
    ['Timeout', durationNs(file, ins, 'timeout', ins.timeout)],
    ['StartPeriod', durationNs(file, ins, 'start-period', ins.startPeriod)],
    ['StartInterval', durationNs(file, ins, 'start-interval', ins.startInterval)],
    ['Retries', retries],
  ];
  const out: Record<string, unknown> = { Test: test };
  for (const [k, v] of members) if (v !== undefined) out[k] = v;
  return out as unknown as HealthConfig;
}

/** A Healthcheck member read from a base image's config, if it has a usable one. */
export function inheritedHealthConfig(v: unknown): HealthConfig | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const test = o['Test'];
  if (!Array.isArray(test) || test.length === 0 || !test.every((t) => typeof t === 'string')) return undefined;
  const out: Record<string, unknown> = { Test: [...(test as string[])] };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
    const n = o[k];
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out[k] = n;
  }
  return out as unknown as HealthConfig;
}
