/**
 * `digests/<stage>.txt` (DESIGN §2): one line per image, `<64 hex> <stage>-<name>`, single
 * space, no `sha256:` prefix, sorted by name. Pure parser with locations.
 */
import { StrataError } from '../errors.js';
import type { SourceLocation } from '../errors.js';

export interface DigestEntry {
  /** `<stage>-<name>`. */
  readonly image: string;
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  readonly location: SourceLocation;
}

const LINE_RE = /^([0-9a-f]{64}) ([a-z0-9][a-z0-9._-]*)$/;

/** Parse one digests file. `stage` is the file's base name without `.txt`. */
export function parseDigestsFile(text: string, file: string, stage: string): DigestEntry[] {
  const out: DigestEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const location = { file, line: i + 1, col: 1 };
    const m = LINE_RE.exec(line);
    if (!m) {
      throw new StrataError('trust/digests-syntax', `expected '<64 hex> ${stage}-<name>', got '${line.slice(0, 120)}'`, {
        location,
        hint: 'one image per line: the manifest digest (64 lower-case hex, no sha256: prefix), one space, the image name',
      });
    }
    const [, hex, image] = m as unknown as [string, string, string];
    if (!image.startsWith(`${stage}-`)) {
      throw new StrataError('trust/digests-wrong-stage', `image '${image}' does not belong in digests/${stage}.txt`, {
        location: { ...location, col: 66 },
        hint: `images of stage '${stage}' are named '${stage}-<name>'; move the line to the right file`,
      });
    }
    const prev = seen.get(image);
    if (prev !== undefined) {
      throw new StrataError('trust/digests-duplicate', `image '${image}' is listed twice (also line ${prev})`, {
        location: { ...location, col: 66 },
        hint: 'keep one digest per image',
      });
    }
    seen.set(image, i + 1);
    out.push({ image, digest: `sha256:${hex}`, location });
  });
  return out;
}
