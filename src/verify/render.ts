/** Text rendering of an ImageComparison, one fact per line. Pure. */
import type { FieldChange, FieldDifference, ImageComparison, LayerComparison, LayerSide, PathDifference } from './types.js';

function field(d: FieldDifference): string {
  if (d.a === undefined) return `${d.path}: only in B: ${d.b}`;
  if (d.b === undefined) return `${d.path}: only in A: ${d.a}`;
  return `${d.path}: ${d.a} → ${d.b}`;
}

function change(c: FieldChange): string {
  if (c.field === 'content') return `content sha256 ${c.a} → ${c.b}`;
  if (c.field === 'size') return `size ${c.a} → ${c.b} bytes`;
  if (c.field === 'link-target') return `link target '${c.a}' → '${c.b}'`;
  return `${c.field} ${c.a} → ${c.b}`;
}

function kindOf(path: string, type: string | undefined): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === '.wh..wh..opq') return 'opaque-directory marker';
  if (base.startsWith('.wh.')) return `whiteout (deletes ${path.slice(0, path.length - base.length)}${base.slice(4)})`;
  return type ?? 'entry';
}

function pathLines(d: PathDifference): string[] {
  if (d.status === 'only-a') return [`${d.path}: only in A (${kindOf(d.path, d.typeA)})`];
  if (d.status === 'only-b') return [`${d.path}: only in B (${kindOf(d.path, d.typeB)})`];
  const out = [`${d.path}: ${d.changes.map(change).join('; ')}`];
  if (d.textDiff) {
    for (const l of d.textDiff.lines) out.push(`    ${l}`);
    if (d.textDiff.truncated) out.push('    … (diff cut)');
  }
  return out;
}

function side(s: LayerSide): string {
  return `${s.digest} (${s.mediaType.replace(/^application\/vnd\.oci\.image\.layer\.v1\./, '')}, ${s.size} bytes)`;
}

function layerLines(l: LayerComparison): string[] {
  const head = `layer ${l.index}`;
  const out: string[] = [];
  switch (l.status) {
    case 'identical':
      return [`${head}: identical (${l.a!.digest})`];
    case 'recompressed':
      return [
        `${head}: same files (diff_id ${l.a!.diffId}), different compressed bytes:`,
        `  A blob ${side(l.a!)}`,
        `  B blob ${side(l.b!)}`,
        ...(l.note ? [`  ${l.note}`] : []),
      ];
    case 'only-a':
      out.push(`${head}: only in A: diff_id ${l.a!.diffId}, blob ${side(l.a!)}${l.entriesA !== undefined ? `, ${l.entriesA} entries` : ''}`);
      break;
    case 'only-b':
      out.push(`${head}: only in B: diff_id ${l.b!.diffId}, blob ${side(l.b!)}${l.entriesB !== undefined ? `, ${l.entriesB} entries` : ''}`);
      break;
    case 'different':
      out.push(`${head}: differs: diff_id A ${l.a!.diffId}, B ${l.b!.diffId}${l.entriesA !== undefined ? ` (${l.entriesA} entries in A, ${l.entriesB} in B)` : ''}`);
      break;
  }
  for (const d of l.paths ?? []) out.push(...pathLines(d).map((s) => `  ${s}`));
  if (l.omittedPaths) out.push(`  … and ${l.omittedPaths} more paths`);
  if (l.order) out.push(`  entry order differs at position ${l.order.position}: A has '${l.order.a}', B has '${l.order.b}'`);
  if (l.duplicatesA?.length) out.push(`  paths repeated in A: ${l.duplicatesA.join(', ')}`);
  if (l.duplicatesB?.length) out.push(`  paths repeated in B: ${l.duplicatesB.join(', ')}`);
  if (l.note) out.push(`  ${l.note}`);
  return out;
}

/** The whole comparison as text lines (no trailing newline). */
export function renderComparison(c: ImageComparison): string[] {
  const out = [`A: ${c.a.label} ${c.a.digest}`, `B: ${c.b.label} ${c.b.digest}`];
  if (c.identical) {
    out.push('identical');
    return out;
  }
  if (c.manifest.length) {
    out.push('manifest fields differ:');
    for (const d of c.manifest) out.push(`  ${field(d)}`);
  }
  if (c.configDigest) {
    out.push(`config ${c.configDigest.a} → ${c.configDigest.b}${c.config.length ? ':' : ' (only rootfs.diff_ids differ)'}`);
    for (const d of c.config) out.push(`  ${field(d)}`);
  }
  if (c.layerCount) out.push(`layer count: A has ${c.layerCount.a}, B has ${c.layerCount.b}`);
  for (const l of c.layers) out.push(...layerLines(l));
  return out;
}
