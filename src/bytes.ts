/**
 * Byte-array helpers shared by every folder (pure: no I/O, no imports), so that pure
 * folders (digest/, oci/, containerfile/ …) may use them too.
 */

/**
 * The parts one after another in one fresh Uint8Array (never a Buffer, never one of the
 * parts, even when there is only one: the caller may keep or change it freely).
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
