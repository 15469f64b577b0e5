/**
 * Differential test against the `dockerfile-ast` package: for every Containerfile in the
 * corpus (and every Containerfile under testdata/trees/**), the instruction keywords, the
 * first and last line of each instruction, and the heredoc markers (line:col of `<<`) and
 * terminator lines must agree.
 *
 * Compared at the lexer level (logical lines), so files that the typed parser rejects on
 * purpose (unknown instructions, ONBUILD, unsupported flags) are still compared.
 *
 * Deliberate disagreements (none occur in the corpus, so none are filtered):
 * - dockerfile-ast treats an `ONBUILD RUN <<EOF` trigger as carrying a heredoc; strata
 *   rejects ONBUILD entirely, and only RUN/COPY/ADD keywords open heredocs.
 * - dockerfile-ast does not report heredocs for ADD; for ADD only boundaries are compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { testdata } from '../testutil/paths.js';
import { lexContainerfile, type LogicalLine } from './lexer.js';

function findContainerfiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findContainerfiles(p, out);
    else if (e.name === 'Containerfile') out.push(p);
  }
  return out;
}

interface Summary {
  readonly keyword: string;
  readonly start: number;
  readonly end: number;
  readonly heredocs: readonly string[];
}

function ours(line: LogicalLine): Summary {
  const keyword = /^\S*/.exec(line.text)![0].toUpperCase();
  // Heredoc bodies follow the logical line one after another; each ends with its terminator line.
  const bodyLines = line.heredocs.map((h) => (h.body.match(/\n/g) ?? []).length + 1);
  let at = line.endLine - bodyLines.reduce((a, b) => a + b, 0);
  const heredocs = line.heredocs.map((h, i) => {
    at += bodyLines[i]!;
    return `${h.delimiter}@${h.loc.line}:${h.loc.col}-${at}`;
  });
  return { keyword, start: line.startLine, end: line.endLine, heredocs: keyword === 'ADD' ? [] : heredocs };
}

function theirs(text: string): Summary[] {
  const df = DockerfileParser.parse(text);
  return df.getInstructions().map((ins) => {
    const r = ins.getRange();
    const keyword = ins.getKeyword().toUpperCase();
    const withHeredocs = ins as unknown as { getHeredocs?: () => { getName(): string; getStartRange(): { start: { line: number; character: number } }; getDelimiterRange(): { end: { line: number } } | null }[] };
    const heredocs = keyword !== 'ADD' && typeof withHeredocs.getHeredocs === 'function'
      ? withHeredocs.getHeredocs().map((h) => {
        const s = h.getStartRange().start;
        return `${h.getName()}@${s.line + 1}:${s.character + 1}-${(h.getDelimiterRange()?.end.line ?? -2) + 1}`;
      })
      : [];
    return { keyword, start: r.start.line + 1, end: r.end.line + 1, heredocs };
  });
}

const corpus = [
  ...findContainerfiles(testdata('containerfiles')),
  ...findContainerfiles(testdata('containerfiles-negative')),
];
const trees = findContainerfiles(testdata('trees'));

function compare(file: string): boolean {
  const text = readFileSync(file, 'utf8');
  let lines: readonly LogicalLine[];
  try {
    lines = lexContainerfile(text, file).lines;
  } catch {
    return false; // lexical errors (unterminated heredoc, bad directive) are covered by the negative corpus
  }
  assert.deepEqual(lines.map(ours), theirs(text), file);
  return true;
}

test('instruction and heredoc boundaries agree with dockerfile-ast on the parser corpus', () => {
  let compared = 0;
  for (const f of corpus) if (compare(f)) compared++;
  assert.ok(compared >= 50, `compared only ${compared} files`);
});

test('instruction and heredoc boundaries agree with dockerfile-ast on testdata/trees', (t) => {
  let compared = 0;
  for (const f of trees) {
    if (compare(f)) compared++;
    else t.diagnostic(`not compared (lexical error): ${f}`);
  }
  t.diagnostic(`compared ${compared} of ${trees.length} tree Containerfiles`);
});
