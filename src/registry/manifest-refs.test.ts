import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manifestRefs } from './manifest-refs.js';

const D = `sha256:${'cd'.repeat(32)}`;
const desc = (mediaType: string) => ({ mediaType, digest: D, size: 3 });
const j = (o: unknown) => Buffer.from(JSON.stringify(o));

test('image manifests and indexes yield their descriptors', () => {
  const img = manifestRefs(j({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc('c'), layers: [desc('l')] }), '', 'x');
  assert.equal(img.kind, 'image');
  assert.deepEqual(img.kind === 'image' && img.layers, [desc('l')]);
  const idx = manifestRefs(j({ schemaVersion: 2, manifests: [desc('m')] }), 'application/vnd.oci.image.index.v1+json', 'x');
  assert.equal(idx.kind, 'index');
});

test('malformed manifests are registry/bad-manifest', () => {
  const bad = [
    Buffer.from('not json'),
    j([]),
    j({ schemaVersion: 1, fsLayers: [] }),
    j({ schemaVersion: 2, config: desc('c') }),
    j({ schemaVersion: 2, config: desc('c'), layers: [{ mediaType: 'l', digest: 'sha256:short', size: 1 }] }),
    j({ schemaVersion: 2, config: desc('c'), layers: [{ mediaType: 'l', digest: D, size: -1 }] }),
    j({ schemaVersion: 2, config: { digest: D, size: 1 }, layers: [] }),
    j({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: 'no' }),
  ];
  for (const b of bad) assert.throws(() => manifestRefs(b, '', 'reg/x@sha256:…'), { code: 'registry/bad-manifest' } as object, b.toString());
});
