/**
 * How EXPOSE and STOPSIGNAL values become image-config members, with Docker's checks
 * (ADR 0174): EXPOSE takes `port`, `port/proto` or a range `from-to[/proto]` (expanded
 * to one member per port, as Docker's port parser does), proto tcp/udp/sctp, ports
 * 0–65535; STOPSIGNAL takes a Linux signal name (with or without SIG), `RTMIN+n`,
 * `RTMAX-n` (Linux's names: RTMIN+1…+15, RTMAX-14…-1) or a number 1–64, recorded as
 * written. Pure.
 */

/** The ExposedPorts keys of one EXPOSE word, or a description of what is wrong. */
export function exposedPorts(word: string): string[] | string {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(word);
  if (!m) return `'${word}' is not a port, port/protocol or port range`;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) return `'${m[3]}' is not a protocol (tcp, udp or sctp)`;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535) return `port ${Math.max(from, to)} is above 65535`;
  if (to < from) return `the range ${from}-${to} ends before it starts`;
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH',
  'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
]);

/** True when `value` names a Linux signal the way Docker's signal parser accepts it. */
export function isStopSignal(value: string): boolean {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= 64;
  }
  const name = value.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTMIN\+(\d+)$|^RTMAX-(\d+)$/.exec(name);
  if (rt) return rt[1] !== undefined ? Number(rt[1]) >= 1 && Number(rt[1]) <= 15 : Number(rt[2]) >= 1 && Number(rt[2]) <= 14;
  return SIGNALS.has(name);
}
