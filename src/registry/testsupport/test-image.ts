/**
 * Test helper: tiny OCI images built by hand (a one-file ustar archive, gzip-compressed
 * with node's zlib — fine for a fixture, never for strata's own layers), and an OCI
 * layout on disk for skopeo to copy from.
 */
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Of } from '../content-digest.js';
import { bufferBlobSource } from '../sources.js';
import type { ImageToPush } from '../image-transfer.js';

export interface TestImage extends ImageToPush {
  readonly config: Buffer;
  readonly layers: readonly Buffer[];
  readonly manifestBytes: Buffer;
  readonly digest: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar archive with one regular file. */
export function oneFileTar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(content.length, 12), 124);
  header.write(octal(1, 12), 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + ' ', 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

/** An image with `layerCount` layers whose contents depend on `seed`. */
export function makeTestImage(seed: string, layerCount = 1, layerBytes = 64): TestImage {
  const layers: Buffer[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const content = Buffer.alloc(layerBytes, `${seed}-${i}\n`);
    const tar = oneFileTar(`file-${i}.txt`, content);
    diffIds.push(sha256Of(tar));
    layers.push(gzipSync(tar, { level: 1 }));
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:01Z',
      config: { Env: [`SEED=${seed}`] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Of(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Of(l), size: l.length })),
    }),
  );
  return {
    config,
    layers,
    manifestBytes,
    digest: sha256Of(manifestBytes),
    blobs: [bufferBlobSource(config), ...layers.map(bufferBlobSource)],
    manifest: { bytes: manifestBytes, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  };
}

/** Write `image` as an OCI layout in `dir` with ref name `ref` (for `skopeo copy oci:DIR:REF`). */
export function writeOciLayout(dir: string, image: TestImage, ref: string): void {
  const blobs = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  for (const b of [image.config, ...image.layers, image.manifestBytes]) writeFileSync(path.join(blobs, sha256Of(b).slice(7)), b);
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, size: image.manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': ref } }],
    }),
  );
}
