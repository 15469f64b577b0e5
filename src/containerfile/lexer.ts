/**
 * Splits Containerfile text into logical instruction lines, the way BuildKit's parser
 * does: parser directives at the top, comment and empty lines skipped, continuation lines
 * (escape char + optional trailing blanks) joined without a separator, comment and empty
 * lines inside a continuation skipped, and heredoc bodies of RUN/COPY/ADD consumed after
 * the instruction line. Every character of a logical line keeps its file line:col so
 * later stages report exact locations.
 */
import { containerfileError } from './errors.js';
import type { Directives, Heredoc, Loc } from './types.js';
import { extractFlags, splitWordsAt } from './words.js';

export interface LogicalLine {
  /** The joined text, leading blanks removed, continuation markers removed. */
  readonly text: string;
  /** locs[i] is where text[i] sits in the file; locs[text.length] is just past the end. */
  readonly locs: readonly Loc[];
  readonly startLine: number;
  /** Last physical line, heredoc bodies included. */
  readonly endLine: number;
  readonly heredocs: readonly Heredoc[];
}

export interface LexResult {
  readonly directives: Directives;
  readonly lines: readonly LogicalLine[];
}

const DIRECTIVE = /^[ \t]*#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\v' || ch === '\f' || ch === '\r';
}

function leadingBlanks(s: string): number {
  let i = 0;
  while (i < s.length && isBlank(s[i])) i++;
  return i;
}

function isCommentLine(s: string): boolean {
  return s[leadingBlanks(s)] === '#';
}

function isEmptyLine(s: string): boolean {
  return leadingBlanks(s) === s.length;
}

/** If the line ends with the escape char followed by blanks, the index where it starts. */
function continuationAt(s: string, escape: string): number {
  let end = s.length;
  while (end > 0 && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  if (end > 0 && s[end - 1] === escape) return end - 1;
  return -1;
}

export function lexContainerfile(input: string, file: string): LexResult {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const physical = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A final newline does not start another line.
  if (physical.length > 0 && physical[physical.length - 1] === '' && text.endsWith('\n')) physical.pop();

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

  const lines: LogicalLine[] = [];
  while (i < physical.length) {
    const raw = physical[i]!;
    if (isCommentLine(raw) || isEmptyLine(raw)) {
      i++;
      continue;
    }
    const startLine = i + 1;
    let joined = '';
    const locs: Loc[] = [];
    const append = (s: string, lineNo: number, fromCol: number): void => {
      for (let k = 0; k < s.length; k++) locs.push({ line: lineNo, col: fromCol + k });
      joined += s;
    };
    const lead = leadingBlanks(raw);
    let piece = raw.slice(lead);
    let cont = continuationAt(piece, escape);
    append(cont >= 0 ? piece.slice(0, cont) : piece, i + 1, lead + 1);
    let lastLine = i + 1;
    let endLoc: Loc = { line: i + 1, col: raw.length + 1 };
    i++;
    while (cont >= 0 && i < physical.length) {
      const next = physical[i]!;
      i++;
      if (isCommentLine(next) || isEmptyLine(next)) continue;
      cont = continuationAt(next, escape);
      append(cont >= 0 ? next.slice(0, cont) : next, i, 1);
      lastLine = i;
      endLoc = { line: i, col: next.length + 1 };
    }
    locs.push(endLoc);

    const keyword = /^\S*/.exec(joined)![0].toLowerCase();
    const heredocs: Heredoc[] = [];
    if (HEREDOC_INSTRUCTIONS.has(keyword) && !isExecForm(joined, keyword.length)) {
      for (const marker of findHeredocMarkers(joined, locs)) {
        let body = '';
        let terminated = false;
        while (i < physical.length) {
          const bodyLine = physical[i]!;
          i++;
          const candidate = marker.stripTabs ? bodyLine.replace(/^\t+/, '') : bodyLine;
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
        heredocs.push({ ...marker, body });
      }
    }
    lines.push({ text: joined, locs, startLine, endLine: lastLine, heredocs });
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
function findHeredocMarkers(line: string, locs: readonly Loc[]): HeredocMarker[] {
  const out: HeredocMarker[] = [];
  for (const w of splitWordsAt(line, '\\')) {
    const m = HEREDOC_WORD.exec(w.text);
    if (!m || m[3] === '') continue;
    const rest = m[3]!;
    const delimiter = unquoteHeredocName(rest);
    if (delimiter === undefined || delimiter === '') continue;
    const quoted = /['"]/.test(rest);
    const markerOffset = w.start + m[1]!.length;
    out.push({ delimiter, quoted, stripTabs: m[2] === '-', loc: locs[markerOffset]! });
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
    } else if (/\s/.test(ch)) {
      return undefined;
    } else {
      out += ch;
    }
  }
  return quote ? undefined : out;
}
