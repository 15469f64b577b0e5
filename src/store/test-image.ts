/**
 * Test helper: put a tiny image with two layers into a store (layers through the real
 * writeLayer → BlobWriter path). Used by store tests and available to other modules' tests.
 */
import { buildImageConfig, parsePlatform } from '../oci/build.js';
import type { Descriptor } from '../oci/types.js';
import type { TarEntry } from '../tar/entry.js';
import { writeLayer } from '../tar/layer.js';
import { bytesSource } from '../tar/writer.js';
import type { OciStore } from './store.js';

export async function putLayer(store: OciStore, entries: readonly TarEntry[], sourceDateEpoch = 1): Promise<{ descriptor: Descriptor; diffId: string }> {
  const w = await store.openBlobWriter();
  try {
    const r = await writeLayer(entries, w, { sourceDateEpoch });
    await w.commit({ digest: r.digest, size: r.size });
    return { descriptor: { mediaType: r.mediaType, digest: r.digest, size: r.size }, diffId: r.diffId };
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** A two-layer image: /etc/hello and /bin/tool (0755) then a second layer adding /etc/second and deleting /etc/hello. */
export async function putTinyImage(store: OciStore, ref: string, salt = ''): Promise<Descriptor> {
  const f = (p: string, text: string, mode = 0o644): TarEntry => ({ path: p, type: 'file', mode, mtime: 1, size: Buffer.byteLength(text), content: bytesSource(text) });
  const dir = (p: string): TarEntry => ({ path: p, type: 'dir', mode: 0o755, mtime: 1 });
  const l1 = await putLayer(store, [dir('etc'), f('etc/hello', `hello${salt}\n`), dir('bin'), f('bin/tool', '#!/bin/sh\necho tool\n', 0o755)]);
  const l2 = await putLayer(store, [dir('etc'), f('etc/second', `second${salt}\n`), { path: 'etc/hello', type: 'whiteout' }]);
  const config = buildImageConfig({
    platform: parsePlatform('linux/amd64'),
    sourceDateEpoch: 1,
    diffIds: [l1.diffId, l2.diffId] as Descriptor['digest'][],
    config: { Env: ['PATH=/bin'], Cmd: ['/bin/tool'], WorkingDir: '/' },
    history: [{ created_by: 'COPY a' }, { created_by: 'RUN b' }],
  });
  return store.writeImage(ref, config, [l1.descriptor, l2.descriptor]);
}
