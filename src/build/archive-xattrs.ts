/**
 * Extended attributes of an ADDed archive (ADR 0172). An archive's PAX records
 * `SCHILY.xattr.<name>=<raw bytes>` (GNU tar, star, strata's own layers) and
 * `LIBARCHIVE.xattr.<%-encoded name>=<base64>` (bsdtar) are applied to the extracted
 * files when the layer keeps that attribute: `user.*` (not `user.overlay.*`) and
 * `security.capability` — the same rule as for a RUN's upper directory, so an attribute
 * reaches the layer the same way whichever step made it. Every other attribute
 * (`trusted.*`, `security.selinux`, ACLs…) is dropped, and the build log says which.
 */
import type { SourceLocation } from '../errors.js';
import { setXattr } from '../sandbox/native.js';
import { defaultKeepXattr } from '../sandbox/upper.js';
import type { TarHeader } from '../tar/reader.js';
import { inputError } from './errors.js';

export const CAPABILITY_XATTR = 'security.capability';

const SCHILY = 'SCHILY.xattr.';
const LIBARCHIVE = 'LIBARCHIVE.xattr.';

/**
 * Every extended attribute an archive entry carries, sorted by name: SCHILY records as
 * raw bytes, LIBARCHIVE records decoded (the name %-decoded, the value base64). A name in
 * both takes the SCHILY value. Undefined (with the record) for an undecodable record.
 */
export function entryXattrs(h: Pick<TarHeader, 'xattrs' | 'pax'>): { xattrs: [string, Uint8Array][]; bad?: string } {
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(h.pax)) {
    if (!k.startsWith(LIBARCHIVE)) continue;
    let name: string;
    try {
      name = decodeURIComponent(k.slice(LIBARCHIVE.length));
    } catch {
      return { xattrs: [], bad: k };
    }
    const b64 = v.trim();
    if (name === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { xattrs: [], bad: k };
    out.set(name, new Uint8Array(Buffer.from(b64, 'base64')));
  }
  for (const [k, v] of Object.entries(h.xattrs)) {
    if (k === '') return { xattrs: [], bad: SCHILY };
    out.set(k, v);
  }
  return { xattrs: [...out].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

/**
 * A well-formed file capability: struct vfs_cap_data revision 2 (20 bytes) or revision 3
 * (24 bytes, with the namespace root uid), little-endian magic word first.
 */
export function isCapabilityValue(v: Uint8Array): boolean {
  if (v.length !== 20 && v.length !== 24) return false;
  const magic = Buffer.from(v.buffer, v.byteOffset, v.byteLength).readUInt32LE(0);
  const revision = magic & 0xff000000;
  const flags = magic & 0x00ffffff;
  if (flags & ~0x1) return false; // only VFS_CAP_FLAGS_EFFECTIVE
  return (revision === 0x02000000 && v.length === 20) || (revision === 0x03000000 && v.length === 24);
}

/**
 * Applies the kept attributes of each extracted entry (the `onEntry` hook of extractTar,
 * called after the entry's owner and mode are set: chown clears security.capability).
 * Symlinks get none (Linux allows neither user.* nor capabilities on them); a capability
 * only on a regular file. A malformed record or capability is an input error at the ADD.
 */
export class ArchiveXattrs {
  /** Attribute names dropped, for the build log. */
  readonly dropped = new Set<string>();
  /** Entries that got at least one attribute. */
  applied = 0;

  constructor(
    private readonly label: string,
    private readonly location: SourceLocation,
  ) {}

  readonly onEntry = (_rel: string, h: TarHeader, abs: string): void => {
    if (Object.keys(h.xattrs).length === 0 && !Object.keys(h.pax).some((k) => k.startsWith(LIBARCHIVE))) return;
    const { xattrs, bad } = entryXattrs(h);
    if (bad !== undefined) {
      throw inputError('build/add-bad-xattr', `${this.label}: entry '${h.name}': malformed extended-attribute record '${bad}'`, 'the archive is damaged; repack it', this.location);
    }
    let n = 0;
    for (const [name, value] of xattrs) {
      const fits = h.kind === 'file' || h.kind === 'hardlink' || (h.kind === 'dir' && name !== CAPABILITY_XATTR);
      if (!defaultKeepXattr(name) || !fits) {
        this.dropped.add(name);
        continue;
      }
      if (name === CAPABILITY_XATTR && !isCapabilityValue(value)) {
        throw inputError('build/add-bad-xattr', `${this.label}: entry '${h.name}': security.capability is not a file capability (vfs_cap_data revision 2 or 3)`,
          "the archive is damaged; make the capability with setcap (e.g. 'setcap cap_net_raw+ep FILE') and repack", this.location);
      }
      try {
        setXattr(abs, name, Buffer.from(value));
      } catch (e) {
        throw inputError('build/add-bad-xattr', `${this.label}: entry '${h.name}': cannot set ${name} (${(e as Error).message})`,
          'the file system holding the store must support user.* extended attributes (ext4, xfs, btrfs, tmpfs ≥ 6.6)', this.location);
      }
      n++;
    }
    if (n > 0) this.applied++;
  };

  /** One build-log line, or '' when nothing was dropped. */
  note(): string {
    return this.dropped.size ? `  ${this.label}: extended attributes not kept in the layer: ${[...this.dropped].sort().join(', ')}\n` : '';
  }
}
