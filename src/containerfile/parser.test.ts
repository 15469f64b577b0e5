import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../errors.js';
import { parseContainerfile } from './parser.js';
import type { CopyInstruction, RunInstruction } from './types.js';

test('stages, aliases and instructions are in file order', () => {
  const cf = parseContainerfile('ARG A\nFROM a AS One\nRUN x\nFROM one\nRUN y\n', 'C');
  assert.deepEqual(cf.stages.map((s) => [s.index, s.name, s.from.image, s.instructions.length]), [[0, 'one', 'a', 1], [1, undefined, 'one', 1]]);
  assert.equal(cf.globalArgs.length, 1);
});

test('heredoc bodies keep the expansion-relevant facts', () => {
  const cf = parseContainerfile('FROM x\nCOPY <<"A" <<B /d/\n$1\nA\n$2\nB\n', 'C');
  const copy = cf.stages[0]!.instructions[0] as CopyInstruction;
  assert.deepEqual(copy.heredocs.map((h) => [h.delimiter, h.quoted, h.body]), [['A', true, '$1\n'], ['B', false, '$2\n']]);
  assert.deepEqual(copy.sources, ['<<"A"', '<<B']);
  assert.equal(copy.endLine, 6);
});

test('a heredoc marker needs a name, and a numbered fd form is accepted', () => {
  const cf = parseContainerfile('FROM x\nRUN echo a<<b << c\nRUN cat 3<<EOF\nz\nEOF\n', 'C');
  const [r1, r2] = cf.stages[0]!.instructions as RunInstruction[];
  assert.equal(r1!.heredocs.length, 0);
  assert.deepEqual(r2!.heredocs.map((h) => [h.delimiter, h.loc]), [['EOF', { line: 3, col: 10 }]]);
});

test('heredoc markers are not looked for in exec form', () => {
  const cf = parseContainerfile('FROM x\nRUN ["sh", "-c", "cat <<EOF >x"]\nCOPY ["<<EOF", "/d"]\n', 'C');
  const [r, c] = cf.stages[0]!.instructions as [RunInstruction, CopyInstruction];
  assert.equal(r.heredocs.length, 0);
  assert.equal(r.endLine, 2);
  assert.deepEqual(c.sources, ['<<EOF']);
  assert.equal(c.heredocs.length, 0);
});

test('exec form is kept verbatim (never expanded) and invalid JSON falls back to shell form', () => {
  const cf = parseContainerfile('FROM x\nRUN ["echo", "$HOME", "\\u0041"]\nRUN [ "a", 1 ]\n', 'C');
  const [r1, r2] = cf.stages[0]!.instructions as RunInstruction[];
  assert.deepEqual(r1!.command, { form: 'exec', argv: ['echo', '$HOME', 'A'] });
  assert.deepEqual(r2!.command, { form: 'shell', script: '[ "a", 1 ]' });
});

test('the error names the file it was given', () => {
  assert.throws(() => parseContainerfile('FROM x\nFOO bar\n', 'packages/core/zlib/Containerfile'), (e: unknown) =>
    e instanceof StrataError && e.format().startsWith('packages/core/zlib/Containerfile:2:1: unknown instruction'));
});

test('a lone continuation at the end of a file joins nothing', () => {
  assert.equal(parseContainerfile('FROM a\n\\', 'C').stages.length, 1);
  assert.equal(parseContainerfile('FROM a\nRUN x \\\n\\\n', 'C').stages[0]!.instructions.length, 1);
  assert.throws(() => parseContainerfile('\\', 'C'), (e: unknown) => e instanceof StrataError && e.code === 'containerfile/no-from');
});

test('an empty file has no FROM', () => {
  assert.throws(() => parseContainerfile('', 'C'), (e: unknown) => e instanceof StrataError && e.code === 'containerfile/no-from');
  assert.throws(() => parseContainerfile('\n# only comments\n\n', 'C'), (e: unknown) => e instanceof StrataError && e.code === 'containerfile/no-from');
});

const TOKENS = ['FROM', 'RUN', 'COPY', 'ARG', 'ENV', 'LABEL', 'ONBUILD', 'x', 'AS', 'a', '--from=a', '--mount=x', '--link', '--network=none',
  '<<EOF', '<<-EOF', "<<'E'", 'EOF', '\tEOF', 'E', '"', "'", '\\', '`', '[', ']', '"a"', ',', '=', 'k=v', '#', '# escape=`', '${', '}', '$V', ' ', '\t'];

test('any input either parses or fails with a located containerfile/* StrataError', () => {
  const line = fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((ts) => ts.join(' '));
  fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
    const text = lines.join('\n');
    try {
      const cf = parseContainerfile(text, 'C');
      for (const s of cf.stages) for (const i of [s.from, ...s.instructions]) assert.ok(i.endLine >= i.loc.line);
    } catch (e) {
      if (!(e instanceof StrataError) || !e.code.startsWith('containerfile/') || e.location?.line === undefined || e.location.col === undefined) throw e;
    }
  }), { numRuns: 300 });
});

test('directives: indented ones count, an empty value is a plain comment that ends the directives', () => {
  assert.equal(parseContainerfile('  # escape=`\nFROM x\n', 'C').directives.escape, '`');
  const cf = parseContainerfile('# escape=\n# escape=`\nFROM x\nRUN a \\\n b\n', 'C');
  assert.equal(cf.directives.escape, '\\');
  assert.equal(cf.stages[0]!.instructions[0]!.endLine, 5);
});

test('blanks before the keyword of a line joined onto a lone continuation are skipped, as BuildKit does', () => {
  const cf = parseContainerfile('FROM a\n\\\n\t run x\n', 'C');
  const run = cf.stages[0]!.instructions[0] as RunInstruction;
  assert.deepEqual([run.kind, run.loc, run.command], ['RUN', { line: 3, col: 3 }, { form: 'shell', script: 'x' }]);
  assert.throws(() => parseContainerfile('FROM a\n\\\n  , [\n', 'C'), (e: unknown) =>
    e instanceof StrataError && e.format().startsWith("C:3:3: unknown instruction ','"));
  assert.equal(parseContainerfile('\u00a0FROM a\n', 'C').stages[0]!.from.image, 'a');
});
