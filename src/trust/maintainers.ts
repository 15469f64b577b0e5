/**
 * The tree's MAINTAINERS file, read as StageX writes it.
 *
 * StageX's file looks like TOML but is not quite: values are often unquoted
 * (`Location = Silicon Valley, USA`) and keys are capitalised (`Name`, `ID`). So this is a
 * small line-oriented reader that accepts both that and strict TOML strings:
 *
 *   [people.<handle>]          Name = …, Email = …, anything else kept as text
 *   [keys.<handle>.<label>]    ID = <full primary fingerprint: 40 hex (v4) or 64 hex (v6)>
 *   [anything.else]            ignored (StageX has [machines.…])
 *
 * Keys are matched case-insensitively. A value is a "basic string", a 'literal string',
 * or the bare rest of the line. Short key ids (16 or 8 hex) are refused: a 64-bit id is
 * not an identity. Pure: takes the text, returns data or throws StrataError with location.
 */
import { StrataError } from '../errors.js';
import type { SourceLocation } from '../errors.js';

export interface Maintainer {
  readonly handle: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
  /** Every field of the table, keys lower-cased, values as text. */
  readonly fields: Readonly<Record<string, string>>;
  readonly location: SourceLocation;
}

export interface MaintainerKey {
  readonly handle: string;
  readonly label: string;
  /** Full primary-key fingerprint, lower-case hex (40 for v4, 64 for v6). */
  readonly fingerprint: string;
  readonly location: SourceLocation;
}

export interface Maintainers {
  readonly file: string;
  readonly people: readonly Maintainer[];
  readonly keys: readonly MaintainerKey[];
}

interface Section {
  readonly path: string[];
  readonly fields: Map<string, { value: string; location: SourceLocation }>;
  readonly location: SourceLocation;
}

const BARE_KEY_RE = /^[A-Za-z0-9_-]+$/;

/** Parse MAINTAINERS text. `file` is the path as the user should see it. */
export function parseMaintainers(text: string, file: string): Maintainers {
  const sections = readSections(text, file);
  const people: Maintainer[] = [];
  const keys: MaintainerKey[] = [];
  const handles = new Map<string, Maintainer>();
  for (const s of sections) {
    const [top, ...rest] = s.path;
    if (top === 'people' && rest.length === 1) {
      const handle = rest[0]!;
      const fields: Record<string, string> = {};
      for (const [k, v] of s.fields) fields[k] = v.value;
      const m: Maintainer = { handle, name: fields['name'], email: fields['email'], fields, location: s.location };
      people.push(m);
      handles.set(handle, m);
    } else if (top === 'people' && rest.length > 1) {
      throw new StrataError('trust/maintainers-syntax', `[${s.path.join('.')}]: people tables are [people.<handle>]`, {
        location: s.location,
        hint: 'write one [people.<handle>] table per maintainer',
      });
    }
  }
  const byFingerprint = new Map<string, MaintainerKey>();
  for (const s of sections) {
    const [top, ...rest] = s.path;
    if (top !== 'keys' || rest.length === 0) continue;
    if (rest.length !== 2) {
      throw new StrataError('trust/maintainers-syntax', `[${s.path.join('.')}]: key tables are [keys.<handle>.<label>]`, {
        location: s.location,
        hint: 'name each key table [keys.<handle>.<label>], e.g. [keys.alice.personal]',
      });
    }
    const [handle, label] = rest as [string, string];
    if (!handles.has(handle)) {
      throw new StrataError('trust/maintainers-unknown-person', `key [keys.${handle}.${label}] belongs to no [people.${handle}] table`, {
        location: s.location,
        hint: `add a [people.${handle}] table with the maintainer's name and email, or fix the handle`,
      });
    }
    const id = s.fields.get('id');
    if (!id) {
      throw new StrataError('trust/maintainers-missing-key-id', `[keys.${handle}.${label}] has no ID`, {
        location: s.location,
        hint: 'add ID = <the full primary-key fingerprint> (gpg --fingerprint prints it)',
      });
    }
    const fingerprint = parseFingerprint(id.value, id.location);
    const previous = byFingerprint.get(fingerprint);
    if (previous) {
      throw new StrataError(
        'trust/maintainers-duplicate-key',
        `key ${fingerprint.toUpperCase()} is listed twice (also [keys.${previous.handle}.${previous.label}] at line ${previous.location.line})`,
        { location: id.location, hint: 'a key belongs to exactly one maintainer entry: remove the duplicate' },
      );
    }
    const key: MaintainerKey = { handle, label, fingerprint, location: id.location };
    byFingerprint.set(fingerprint, key);
    keys.push(key);
  }
  return { file, people, keys };
}

/** A full fingerprint: 40 or 64 hex digits (spaces between groups allowed), lower-cased. */
export function parseFingerprint(value: string, location: SourceLocation): string {
  const compact = value.replace(/\s+/g, '');
  if (/^0x/i.test(compact)) {
    throw new StrataError('trust/maintainers-short-key-id', `key ID '${value}' has a 0x prefix; give the bare fingerprint`, {
      location,
      hint: 'write the full fingerprint as hex digits only, e.g. ID = 6B61ECD76088748C70590D55E90A401336C8AAA9',
    });
  }
  if (!/^[0-9A-Fa-f]+$/.test(compact)) {
    throw new StrataError('trust/maintainers-bad-key-id', `key ID '${value}' is not hexadecimal`, {
      location,
      hint: 'ID is the full primary-key fingerprint: 40 hex digits (v4) or 64 (v6)',
    });
  }
  if (compact.length !== 40 && compact.length !== 64) {
    const short = compact.length === 16 || compact.length === 8;
    throw new StrataError(
      short ? 'trust/maintainers-short-key-id' : 'trust/maintainers-bad-key-id',
      short
        ? `key ID '${value}' is a ${compact.length * 4}-bit short id, which anyone can collide`
        : `key ID '${value}' has ${compact.length} hex digits, expected 40 (v4) or 64 (v6)`,
      { location, hint: "use the full primary-key fingerprint ('gpg --with-colons --fingerprint KEY', the fpr line)" },
    );
  }
  return compact.toLowerCase();
}

function readSections(text: string, file: string): Section[] {
  const sections: Section[] = [];
  const seen = new Set<string>();
  let current: Section | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const col = raw.length - raw.trimStart().length + 1;
    if (trimmed.startsWith('[')) {
      if (trimmed.startsWith('[[')) {
        throw new StrataError('trust/maintainers-syntax', 'arrays of tables are not used in MAINTAINERS', {
          location: { file, line, col },
          hint: 'write [people.<handle>] and [keys.<handle>.<label>] tables',
        });
      }
      const close = trimmed.indexOf(']');
      const after = close >= 0 ? trimmed.slice(close + 1).trim() : '';
      if (close < 0 || (after !== '' && !after.startsWith('#'))) {
        throw new StrataError('trust/maintainers-syntax', `bad table header '${trimmed}'`, {
          location: { file, line, col },
          hint: 'a header is [name.name…] alone on its line',
        });
      }
      const path = splitDotted(trimmed.slice(1, close), { file, line, col: col + 1 });
      const key = path.join('\u0000');
      if (seen.has(key)) {
        throw new StrataError('trust/maintainers-syntax', `table [${path.join('.')}] appears twice`, {
          location: { file, line, col },
          hint: 'merge the two tables into one',
        });
      }
      seen.add(key);
      current = { path, fields: new Map(), location: { file, line, col } };
      sections.push(current);
      return;
    }
    const eq = raw.indexOf('=');
    if (eq < 0) {
      throw new StrataError('trust/maintainers-syntax', `expected 'Key = value' or a [table] header`, {
        location: { file, line, col },
        hint: 'each line is a [table] header, a Key = value pair, a # comment or blank',
      });
    }
    const rawKey = raw.slice(0, eq).trim();
    const keyName = unquoteKey(rawKey, { file, line, col }).toLowerCase();
    const valueStart = eq + 1 + (raw.slice(eq + 1).length - raw.slice(eq + 1).trimStart().length);
    const valueLoc = { file, line, col: valueStart + 1 };
    const value = readValue(raw.slice(eq + 1).trim(), valueLoc);
    if (!current) {
      throw new StrataError('trust/maintainers-syntax', `'${rawKey}' appears before any [table] header`, {
        location: { file, line, col },
        hint: 'put fields inside a [people.<handle>] or [keys.<handle>.<label>] table',
      });
    }
    if (current.fields.has(keyName)) {
      throw new StrataError('trust/maintainers-syntax', `'${rawKey}' is set twice in [${current.path.join('.')}]`, {
        location: { file, line, col },
        hint: 'keep one value per field (field names are case-insensitive)',
      });
    }
    current.fields.set(keyName, { value, location: valueLoc });
  });
  return sections;
}

function splitDotted(inner: string, location: SourceLocation): string[] {
  const parts: string[] = [];
  let rest = inner.trim();
  while (rest.length > 0) {
    let part: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const q = rest[0]!;
      const end = rest.indexOf(q, 1);
      if (end < 0) throw badHeader(inner, location);
      part = rest.slice(1, end);
      rest = rest.slice(end + 1).trim();
    } else {
      const dot = rest.indexOf('.');
      part = (dot < 0 ? rest : rest.slice(0, dot)).trim();
      if (!BARE_KEY_RE.test(part)) throw badHeader(inner, location);
      rest = dot < 0 ? '' : rest.slice(dot);
    }
    if (part === '') throw badHeader(inner, location);
    parts.push(part);
    if (rest.startsWith('.')) {
      rest = rest.slice(1).trim();
      if (rest === '') throw badHeader(inner, location);
    } else if (rest !== '') throw badHeader(inner, location);
  }
  if (parts.length === 0) throw badHeader(inner, location);
  return parts;
}

function badHeader(inner: string, location: SourceLocation): StrataError {
  return new StrataError('trust/maintainers-syntax', `bad table name '${inner}'`, {
    location,
    hint: 'table names are dotted words: [people.alice], [keys.alice.personal]',
  });
}

function unquoteKey(rawKey: string, location: SourceLocation): string {
  if (BARE_KEY_RE.test(rawKey)) return rawKey;
  const m = /^"([^"\\]*)"$|^'([^']*)'$/.exec(rawKey);
  if (m) return m[1] ?? m[2] ?? '';
  throw new StrataError('trust/maintainers-syntax', `bad field name '${rawKey}'`, {
    location,
    hint: 'field names are words like Name, Email, ID',
  });
}

/** A TOML basic string, a literal string, or bare text (StageX style); comments only after quotes. */
function readValue(v: string, location: SourceLocation): string {
  if (v.startsWith('"')) {
    let out = '';
    let i = 1;
    for (; i < v.length; i++) {
      const c = v[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const e = v[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i++;
        } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(v.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(v.slice(i + 2, i + 6), 16));
          i += 5;
        } else {
          throw new StrataError('trust/maintainers-syntax', 'bad escape in string', {
            location: { ...location, col: (location.col ?? 1) + i },
            hint: 'use \\" \\\\ \\n \\t or \\uXXXX, or a bare value',
          });
        }
      } else out += c;
    }
    const after = v.slice(i + 1).trim();
    if (i >= v.length || (after !== '' && !after.startsWith('#'))) {
      throw new StrataError('trust/maintainers-syntax', 'unterminated or trailing text after a quoted string', {
        location,
        hint: 'close the quote; put comments after a #',
      });
    }
    return out;
  }
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    const after = end < 0 ? '' : v.slice(end + 1).trim();
    if (end < 0 || (after !== '' && !after.startsWith('#'))) {
      throw new StrataError('trust/maintainers-syntax', 'unterminated or trailing text after a quoted string', {
        location,
        hint: "close the ' quote; put comments after a #",
      });
    }
    return v.slice(1, end);
  }
  return v;
}
