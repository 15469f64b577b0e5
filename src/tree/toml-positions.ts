/**
 * Where keys sit in a TOML text. TOML parsers report positions only for syntax errors, but
 * strata's errors must point at the offending key (`file:line:col`), so this scans the text
 * once and records the position of every table header and key.
 *
 * Paths are dotted with quotes removed: `package.name`, `sources.zlib` (the header),
 * `sources.zlib.hash`. Pure: no I/O. Assumes the text already parsed as valid TOML.
 */

export interface TextPos {
  readonly line: number;
  readonly col: number;
}

export interface TomlPositions {
  /** Position of a key or table header by dotted path. */
  readonly keys: ReadonlyMap<string, TextPos>;
}

/** Split `a."b.c".d` into ['a', 'b.c', 'd']. */
export function splitDottedKey(raw: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < raw.length) {
        cur += raw[++i];
      } else if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '.') {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

export function locateTomlKeys(text: string): TomlPositions {
  const keys = new Map<string, TextPos>();
  const lines = text.split('\n');
  let table: string[] = [];
  let multiline: '"""' | "'''" | null = null;
  let depth = 0;

  /** Scan a value fragment for strings, comments and brackets; updates state. */
  const scanValue = (line: string, start: number): void => {
    let i = start;
    while (i < line.length) {
      if (multiline) {
        const end = line.indexOf(multiline, i);
        if (end < 0) return;
        i = end + 3;
        // a closing delimiter may be followed by up to two more quote characters
        while (line[i] === multiline[0]) i++;
        multiline = null;
        continue;
      }
      const c = line[i]!;
      if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
        multiline = line.slice(i, i + 3) as '"""' | "'''";
        i += 3;
      } else if (c === '"') {
        i++;
        while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
        i++;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        i = end < 0 ? line.length : end + 1;
      } else if (c === '#') {
        return;
      } else {
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') depth--;
        i++;
      }
    }
  };

  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (multiline || depth > 0) {
      scanValue(line, 0);
      return;
    }
    const indent = line.length - line.trimStart().length;
    const rest = line.slice(indent);
    if (rest === '' || rest.startsWith('#')) return;
    if (rest.startsWith('[')) {
      const double = rest.startsWith('[[');
      const close = findClose(rest, double ? 2 : 1);
      const inner = rest.slice(double ? 2 : 1, close);
      table = splitDottedKey(inner);
      // the header also locates its implicit parent tables (`[a.b]` defines `a`)
      for (let n = 1; n <= table.length; n++) {
        const path = table.slice(0, n).join('.');
        if (!keys.has(path)) keys.set(path, { line: lineNo, col: indent + 1 });
      }
      return;
    }
    const eq = findEquals(rest);
    if (eq < 0) return;
    const keyPath = [...table, ...splitDottedKey(rest.slice(0, eq))].join('.');
    if (!keys.has(keyPath)) keys.set(keyPath, { line: lineNo, col: indent + 1 });
    scanValue(rest, eq + 1);
  });
  return { keys };
}

/** Index of the `]` closing a header, skipping quoted parts. */
function findClose(s: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return i;
  }
  return s.length;
}

/** Index of the `=` after a (possibly quoted) key, or -1. */
function findEquals(s: string): number {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
  }
  return -1;
}

/**
 * Position of `needle` in the text at or after the given line (1-based), or undefined.
 * Used to point at a placeholder inside a (possibly multi-line) value.
 */
export function findTextFrom(text: string, fromLine: number, needle: string): TextPos | undefined {
  // skip to the start of fromLine, then search; count lines only up to the hit
  let start = 0;
  for (let l = 1; l < fromLine; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const idx = text.indexOf(needle, start);
  if (idx < 0) return undefined;
  let line = fromLine;
  let lineStart = start;
  for (let nl = text.indexOf('\n', start); nl >= 0 && nl < idx; nl = text.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  return { line, col: idx - lineStart + 1 };
}
