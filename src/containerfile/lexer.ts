/**
 * Splits Containerfile text into logical instruction lines, the way BuildKit's parser
 * does: parser directives at the top, comment and empty lines skipped, continuation lines
 * (escape char + optional trailing blanks) joined without a separator, comment and empty
 * lines inside a continuation skipped, and heredoc bodies of RUN/COPY/ADD consumed after
 * the instruction line.
 *
 * Locations are computed on demand: a logical line keeps one small record per physical
 * line it was joined from (where that piece starts in the joined text and in the file),
 * and `locAt(offset)` turns an offset of the joined text into the file's line:col. That
 * keeps the lexer free of per-character allocations (docs/adr/0026).
 */
import { containerfileError } from './errors.js';
import type { Directives, Heredoc, Loc } from './types.js';
import { extractFlags, isWhitespaceCode, splitWordsAt } from './words.js';

/** One instruction after continuation joining, with its heredoc bodies. */
export class LogicalLine {
  /**
   * @param text the joined text, leading blanks removed, continuation markers removed
   * @param startLine first physical line
   * @param endLine last physical line, heredoc bodies included
   * @param pieces flat triples (offset in `text`, file line, file column) of every joined
   *   physical piece, in order
   * @param end the position just past the last joined piece
   */
  constructor(
    readonly text: string,
    readonly startLine: number,
    readonly endLine: number,
    readonly heredocs: readonly Heredoc[],
    private readonly pieces: readonly number[],
    private readonly end: Loc,
  ) {}

  /** Where text[offset] sits in the file; offsets at or past the end give `end`. */
  locAt(offset: number): Loc {
    if (offset >= this.text.length) return this.end;
    const p = this.pieces;
    let k = 0;
    // the last piece starting at or before offset holds it (empty pieces are skipped this way)
    while (k + 3 < p.length && p[k + 3]! <= offset) k += 3;
    return { line: p[k + 1]!, col: p[k + 2]! + (offset - p[k]!) };
  }

  /** The first offset whose location is `loc` (0 if none): the inverse of locAt, for errors. */
  offsetOf(loc: Loc): number {
    for (let i = 0; i <= this.text.length; i++) {
      const l = this.locAt(i);
      if (l.line === loc.line && l.col === loc.col) return i;
    }
    return 0;
  }
}

export interface LexResult {
  readonly directives: Directives;
  readonly lines: readonly LogicalLine[];
}

const DIRECTIVE = /^[ \t]*#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_QUOTE = /['"]/;
const LEADING_TABS = /^\t+/;

const SPACE = 32;
const TAB = 9;
const HASH = 35;

/** Blanks BuildKit trims at the start of a line: space, \t, \v, \f, \r. */
function isBlankCode(c: number): boolean {
  return c === SPACE || c === TAB || c === 11 || c === 12 || c === 13;
}

function leadingBlanks(s: string): number {
  let i = 0;
  while (i < s.length && isBlankCode(s.charCodeAt(i))) i++;
  return i;
}

/** Comment or empty line: after the leading blanks, nothing or '#'. */
function isSkippable(s: string): boolean {
  const lead = leadingBlanks(s);
  return lead === s.length || s.charCodeAt(lead) === HASH;
}

/** If the line ends with the escape char followed by blanks, the index where it starts. */
function continuationAt(s: string, escape: number): number {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== SPACE && c !== TAB) break;
    end--;
  }
  if (end > 0 && s.charCodeAt(end - 1) === escape) return end - 1;
  return -1;
}

/** RUN, COPY and ADD (any case) may carry heredocs. */
function opensHeredocs(keyword: string): boolean {
  if (keyword.length !== 3 && keyword.length !== 4) return false;
  const k = keyword.toLowerCase();
  return k === 'run' || k === 'add' || k === 'copy';
}

function physicalLines(text: string): string[] {
  const split = text.split('\n');
  const physical = text.includes('\r') ? split.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : split;
  // A final newline does not start another line.
  if (physical.length > 0 && physical[physical.length - 1] === '' && text.endsWith('\n')) physical.pop();
  return physical;
}

export function lexContainerfile(input: string, file: string): LexResult {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const physical = physicalLines(text);

  let syntax: string | undefined;
  let escape: '\\' | '`' = '\\';
  const seen = new Set<string>();
  let i = 0;
  for (; i < physical.length; i++) {
    const m = DIRECTIVE.exec(physical[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break;
    const value = m[2]!;
    const loc = { line: i + 1, col: 1 };
    if (seen.has(name)) {
      throw containerfileError('containerfile/duplicate-directive', `parser directive '${name}' given twice`, file, loc,
        `keep one '# ${name}=…' line at the top of the file`);
    }
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw containerfileError('containerfile/bad-directive', `invalid escape character '${value}'`, file,
          { line: i + 1, col: physical[i]!.indexOf(value, physical[i]!.indexOf('=')) + 1 },
          "the escape directive accepts only '\\' or '`'");
      }
      escape = value;
    } else if (name === 'syntax') {
      syntax = value;
    }
  }
  const escapeCode = escape.charCodeAt(0);

  const lines: LogicalLine[] = [];
  while (i < physical.length) {
    const raw = physical[i]!;
    if (isSkippable(raw)) {
      i++;
      continue;
    }
    const startLine = i + 1;
    const lead = leadingBlanks(raw);
    let cont = continuationAt(raw, escapeCode);
    let joined = cont >= 0 ? raw.slice(lead, cont) : lead > 0 ? raw.slice(lead) : raw;
    const pieces: number[] = [0, i + 1, lead + 1];
    let lastLine = i + 1;
    let endLoc: Loc | undefined;
    i++;
    while (cont >= 0 && i < physical.length) {
      const next = physical[i]!;
      i++;
      if (isSkippable(next)) continue;
      cont = continuationAt(next, escapeCode);
      pieces.push(joined.length, i, 1);
      joined += cont >= 0 ? next.slice(0, cont) : next;
      lastLine = i;
      endLoc = { line: i, col: next.length + 1 };
    }
    endLoc ??= { line: startLine, col: raw.length + 1 };

    const heredocs: Heredoc[] = [];
    // a marker word contains '<<', so a line without it needs no further look
    if (joined.includes('<<')) {
      let kwStart = 0;
      while (kwStart < joined.length && isWhitespaceCode(joined.charCodeAt(kwStart))) kwStart++;
      let kwEnd = kwStart;
      while (kwEnd < joined.length && !isWhitespaceCode(joined.charCodeAt(kwEnd))) kwEnd++;
      if (opensHeredocs(joined.slice(kwStart, kwEnd)) && !isExecForm(joined, kwEnd)) {
        const line = new LogicalLine(joined, startLine, lastLine, heredocs, pieces, endLoc);
        for (const marker of findHeredocMarkers(line)) {
          let body = '';
          let terminated = false;
          while (i < physical.length) {
            const bodyLine = physical[i]!;
            i++;
            const candidate = marker.stripTabs && bodyLine.charCodeAt(0) === TAB ? bodyLine.replace(LEADING_TABS, '') : bodyLine;
            if (candidate === marker.delimiter) {
              terminated = true;
              break;
            }
            body += candidate + '\n';
          }
          if (!terminated) {
            throw containerfileError('containerfile/unterminated-heredoc',
              `heredoc '${marker.delimiter}' is never terminated`, file, marker.loc,
              `end the heredoc with a line containing exactly '${marker.delimiter}'`);
          }
          lastLine = i;
          heredocs.push({ delimiter: marker.delimiter, quoted: marker.quoted, stripTabs: marker.stripTabs, loc: marker.loc, body });
        }
      }
    }
    lines.push(new LogicalLine(joined, startLine, lastLine, heredocs, pieces, endLoc));
  }
  return { directives: { syntax, escape }, lines };
}

/** BuildKit never looks for heredocs in the JSON (exec) form of an instruction. */
function isExecForm(line: string, afterKeyword: number): boolean {
  const args = line.slice(extractFlags(line, afterKeyword).rest).trim();
  if (!args.startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

interface HeredocMarker {
  readonly delimiter: string;
  readonly quoted: boolean;
  readonly stripTabs: boolean;
  readonly loc: Loc;
}

/**
 * Heredoc markers as BuildKit finds them: split the line into words (quotes kept, so a
 * quoted "<<EOF" is no marker), and take each word of the form [n]<<[-]NAME. A NAME with
 * quotes anywhere means the body is not expanded. Heredoc names are always lexed with
 * '\' as escape, whatever the escape directive says (as BuildKit does).
 */
function findHeredocMarkers(line: LogicalLine): HeredocMarker[] {
  const out: HeredocMarker[] = [];
  for (const w of splitWordsAt(line.text, '\\')) {
    if (!w.text.includes('<<')) continue;
    const m = HEREDOC_WORD.exec(w.text);
    if (!m || m[3] === '') continue;
    const rest = m[3]!;
    const delimiter = unquoteHeredocName(rest);
    if (delimiter === undefined || delimiter === '') continue;
    const quoted = HEREDOC_QUOTE.test(rest);
    const markerOffset = w.start + m[1]!.length;
    out.push({ delimiter, quoted, stripTabs: m[2] === '-', loc: line.locAt(markerOffset) });
  }
  return out;
}

/** Removes quotes and backslash escapes from a heredoc name; undefined if it is not one word. */
function unquoteHeredocName(rest: string): string | undefined {
  let out = '';
  let quote: string | undefined;
  for (let k = 0; k < rest.length; k++) {
    const ch = rest[k]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && k + 1 < rest.length && '"$\\'.includes(rest[k + 1]!)) out += rest[++k];
      else out += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '\\') {
      if (k + 1 < rest.length) out += rest[++k];
    } else if (isWhitespaceCode(ch.charCodeAt(0))) {
      return undefined;
    } else {
      out += ch;
    }
  }
  return quote ? undefined : out;
}
