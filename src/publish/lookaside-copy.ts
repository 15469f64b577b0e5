/**
 * `publish --lookaside OUT`: copy the signatures that counted towards an image's quorum
 * into OUT in lookaside layout (`OUT/<ns>/<image>@sha256=<hex>/signature-<n>`), ready to be
 * served statically to podman/skopeo. Idempotent: a signature whose exact bytes are already
 * there is not written again; new ones take the first free n.
 */
import { readSignatures, writeSignature, type LookasideBase } from '../trust/lookaside.js';
import type { QuorumResult } from '../trust/quorum.js';
import { StrataError } from '../errors.js';

export interface LookasideCopyReport {
  readonly written: number;
  readonly present: number;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The bytes of the accepted signatures of `result`, read again from `from`. */
export async function acceptedSignatureBytes(from: LookasideBase, repositoryPath: string, result: QuorumResult): Promise<Uint8Array[]> {
  const wanted = new Set(result.accepted.map((a) => a.source));
  const all = await readSignatures(from, repositoryPath, result.digest);
  const out = all.filter((f) => wanted.has(f.source) && f.bytes !== undefined).map((f) => f.bytes!);
  if (out.length !== wanted.size) {
    throw new StrataError('publish/signatures-changed', `the signatures of ${result.image} changed while publishing`, {
      location: { file: from.display },
      hint: 'publish again once nobody is writing to the signatures directory',
      kind: 'check',
    });
  }
  return out;
}

export async function copySignatures(outDir: string, repositoryPath: string, digest: string, signatures: readonly Uint8Array[]): Promise<LookasideCopyReport> {
  const existing = await readSignatures({ kind: 'dir', dir: outDir, display: outDir }, repositoryPath, digest);
  const have = existing.flatMap((e) => (e.bytes ? [e.bytes] : []));
  let written = 0;
  let present = 0;
  for (const sig of signatures) {
    if (have.some((h) => same(h, sig))) {
      present++;
      continue;
    }
    await writeSignature(outDir, repositoryPath, digest, sig);
    have.push(sig);
    written++;
  }
  return { written, present };
}
