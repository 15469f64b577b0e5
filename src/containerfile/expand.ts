/**
 * Word expansion with the rules of Docker's Dockerfile "environment replacement"
 * (BuildKit's shell lexer, ProcessWord):
 *
 * - `$NAME`, `${NAME}`: the value, empty when unset. `$` not followed by a name stays `$`.
 * - `${NAME:-word}` word if unset or empty; `${NAME-word}` word if unset;
 *   `${NAME:+word}` word if set and non-empty; `${NAME+word}` word if set;
 *   `${NAME:?msg}` / `${NAME?msg}` error if unset(-or-empty). The `word` is itself
 *   expanded (nested `${…}`, quotes, escapes), up to the first unescaped `}`.
 * - The escape character (`\`, or `` ` `` with `# escape=```) makes the next character
 *   literal and is removed; at the very end of the word it is dropped.
 * - Single quotes: everything literal up to the next `'`, quotes removed.
 * - Double quotes: `$` expands; the escape char escapes only `"`, `$` and itself
 *   (otherwise it stays); quotes removed.
 * - Pattern operators (`${V#p}`, `${V%p}`, `${V/p/r}`) and `:=` are not supported:
 *   they are a "bad substitution" error (docs/adr/0011).
 *
 * Exec-form (JSON) RUN/CMD/ENTRYPOINT arguments are never passed through this function:
 * Docker does not expand them, and neither does strata. Heredoc bodies are expanded by the
 * shell at run time, not here.
 */
import { containerfileError, type ContainerfileErrorCode } from './errors.js';
import type { Loc } from './types.js';

export type Lookup = (name: string) => string | undefined;

/** Where the word sits in a file, so errors can point at it. */
export interface WordSite {
  readonly file: string;
  /** Location of the first character of the word. */
  readonly loc: Loc;
}

class Expander {
  pos = 0;
  constructor(
    private readonly src: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
    private readonly site: WordSite | undefined,
  ) {}

  fail(code: ContainerfileErrorCode, message: string, hint: string, at = this.pos): never {
    const loc = this.site ? { line: this.site.loc.line, col: this.site.loc.col + Math.min(at, this.src.length) } : undefined;
    throw containerfileError(code, message, this.site?.file ?? '<word>', loc, hint);
  }

  /** Expands up to `stop` (consumed) or the end of the word. */
  run(stop: string | undefined): string {
    const start = this.pos;
    let out = '';
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return out;
      }
      if (ch === '$') out += this.dollar();
      else if (ch === "'") out += this.singleQuoted();
      else if (ch === '"') out += this.doubleQuoted();
      else if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.src.length) out += this.src[this.pos++];
      } else {
        out += ch;
        this.pos++;
      }
    }
    if (stop !== undefined) {
      this.fail('containerfile/bad-substitution', "missing '}' in substitution", "close the ${…} with '}'", start);
    }
    return out;
  }

  singleQuoted(): string {
    const open = this.pos;
    const close = this.src.indexOf("'", open + 1);
    if (close < 0) {
      this.fail('containerfile/unterminated-quote', 'unterminated single quote', "add the closing ' (a ' cannot be escaped inside single quotes)", open);
    }
    this.pos = close + 1;
    return this.src.slice(open + 1, close);
  }

  doubleQuoted(): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        const next = this.src[this.pos];
        if (next === undefined) continue;
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos++;
          continue;
        }
      }
      out += ch;
    }
    return this.fail('containerfile/unterminated-quote', 'unterminated double quote', `add the closing " or escape it as ${this.escape}"`, open);
  }

  name(): string {
    const rest = this.src.slice(this.pos);
    const m = /^(?:\d+|[@*#?\-$!]|[\p{L}\p{N}_]+)/u.exec(rest);
    if (!m) return '';
    // A name starting with a digit is a positional parameter: digits only.
    const name = /^\d/.test(m[0]) ? /^\d+/.exec(rest)![0] : m[0];
    this.pos += name.length;
    return name;
  }

  dollar(): string {
    const at = this.pos;
    this.pos++;
    if (this.src[this.pos] !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.lookup(name) ?? '';
    }
    this.pos++;
    const first = this.src[this.pos];
    if (first === undefined) this.fail('containerfile/bad-substitution', "missing '}' in substitution", "close the ${…} with '}'", at);
    if (first === '{' || first === '}' || first === ':') {
      this.fail('containerfile/bad-substitution', `bad substitution '${this.src.slice(at, this.pos + 1)}'`,
        'write ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:+alt} or ${NAME+alt}', at);
    }
    const name = this.name();
    const op = this.src[this.pos];
    if (op === undefined) this.fail('containerfile/bad-substitution', "missing '}' in substitution", "close the ${…} with '}'", at);
    if (name === '') {
      this.fail('containerfile/bad-substitution', `bad substitution: '${op}' is not a variable name`,
        'variable names are letters, digits and _', at);
    }
    this.pos++;
    if (op === '}') return this.lookup(name) ?? '';
    let colon = false;
    let modifier = op;
    if (op === ':') {
      colon = true;
      const m = this.src[this.pos];
      if (m === undefined) this.fail('containerfile/bad-substitution', "missing '}' in substitution", "close the ${…} with '}'", at);
      modifier = m;
      this.pos++;
    }
    if (modifier !== '-' && modifier !== '+' && modifier !== '?') {
      this.fail('containerfile/bad-substitution', `unsupported modifier '${colon ? ':' : ''}${modifier}' in substitution`,
        'strata supports ${NAME:-w}, ${NAME-w}, ${NAME:+w}, ${NAME+w}, ${NAME:?msg} and ${NAME?msg}', at);
    }
    const word = this.run('}');
    const value = this.lookup(name);
    const isSet = value !== undefined;
    const nonEmpty = isSet && value !== '';
    const present = colon ? nonEmpty : isSet;
    switch (modifier) {
      case '-':
        return present ? value! : word;
      case '+':
        return present ? word : '';
      default:
        if (!present) {
          this.fail('containerfile/unset-variable', `${name}: ${word || (colon ? 'is not set or empty' : 'is not set')}`,
            `pass --build-arg ${name}=… or give it a default`, at);
        }
        return value!;
    }
  }
}

/**
 * Expands one word (see the module comment for the rules). `lookup` gives the value of a
 * visible ARG/ENV (undefined when not set). Throws `containerfile/bad-substitution`,
 * `containerfile/unterminated-quote` or `containerfile/unset-variable`; with `site` the
 * error carries the word's file:line:col.
 */
export function expandWord(word: string, lookup: Lookup, escape: '\\' | '`' = '\\', site?: WordSite): string {
  // most words (image names, paths) have nothing to expand: they are their own value
  if (!word.includes('$') && !word.includes("'") && !word.includes('"') && !word.includes(escape)) return word;
  return new Expander(word, lookup, escape, site).run(undefined);
}

/** The word that `expandWord` turns back into `text` exactly: escapes every special char. */
export function escapeLiteral(text: string, escape: '\\' | '`' = '\\'): string {
  let out = '';
  for (const ch of text) out += ch === '$' || ch === '"' || ch === "'" || ch === escape ? escape + ch : ch;
  return out;
}
