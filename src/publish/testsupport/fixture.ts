/**
 * Test and bench support: a tree with maintainers and keys generated at run time, images
 * put straight into a store (uncompressed tar layers, so fixtures are fast to make and
 * need no compressor), digests/<stage>.txt, and signatures made with the trust module's
 * signing core. Nothing here is committed as binary data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Digest, type Digest } from '../../digest/digest.js';
import { buildImageConfig, parsePlatform } from '../../oci/build.js';
import { MEDIA_TYPE_LAYER_TAR, type Descriptor } from '../../oci/types.js';
import { oneFileTar } from '../../registry/testsupport/test-image.js';
import type { OciStore } from '../../store/store.js';
import { signDigest } from '../../trust/sign.js';
import { armoredPublic, generateTestKey, type TestKey } from '../../trust/test-keys.js';

export interface FixtureImage {
  /** `<stage>-<name>`; the package is packages/<stage>/<name>. */
  readonly image: string;
  readonly version: string;
}

export interface TrustTree {
  readonly root: string;
  readonly keys: Readonly<Record<string, TestKey>>;
}

/** A tree with strata.toml, MAINTAINERS, keys/*.asc and one package per image. */
export async function makeTrustTree(root: string, images: readonly FixtureImage[], handles: readonly string[] = ['alice', 'bob', 'carol'], threshold = 2): Promise<TrustTree> {
  mkdirSync(path.join(root, 'keys'), { recursive: true });
  writeFileSync(path.join(root, 'strata.toml'), `namespace = "stagex"\nthreshold = ${threshold}\n`);
  const keys: Record<string, TestKey> = {};
  for (const h of handles) keys[h] = await generateTestKey({ name: h });
  const maintainers = handles.map((h) => `[people.${h}]\nName = "${h[0]!.toUpperCase()}${h.slice(1)}"\n\n[keys.${h}.main]\nID = ${keys[h]!.getFingerprint().toUpperCase()}\n`);
  writeFileSync(path.join(root, 'MAINTAINERS'), maintainers.join('\n'));
  for (const h of handles) writeFileSync(path.join(root, 'keys', `${h}.asc`), armoredPublic(keys[h]!));
  for (const { image, version } of images) addPackage(root, image, version);
  return { root, keys };
}

export function addPackage(root: string, image: string, version: string): void {
  const [stage, ...rest] = image.split('-');
  const name = rest.join('-');
  const dir = path.join(root, 'packages', stage!, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.toml'),
    `[package]\nname = "${name}"\nversion = "${version}"\n\n[sources.${name}]\nhash = "${'0'.repeat(64)}"\nmirrors = ["https://example.invalid/${name}-{version}.tar"]\n`,
  );
  writeFileSync(path.join(dir, 'Containerfile'), 'FROM scratch\nCOPY . /\n');
}

/** digests/<stage>.txt for the given image → digest map (sorted, DESIGN §2 format). */
export function writeDigests(root: string, digests: Readonly<Record<string, string>>): void {
  mkdirSync(path.join(root, 'digests'), { recursive: true });
  const byStage = new Map<string, string[]>();
  for (const image of Object.keys(digests).sort()) {
    const stage = image.split('-')[0]!;
    byStage.set(stage, [...(byStage.get(stage) ?? []), `${digests[image]!.slice('sha256:'.length)} ${image}\n`]);
  }
  for (const [stage, lines] of byStage) writeFileSync(path.join(root, 'digests', `${stage}.txt`), lines.join(''));
}

/** Put an image whose layers are the given (uncompressed) tar archives; returns its manifest descriptor. */
export async function putTarImage(store: OciStore, ref: string, tars: readonly Uint8Array[], env = ref): Promise<Descriptor> {
  const layers: Descriptor[] = [];
  for (const t of tars) {
    const r = await store.putBlob(t, { digest: sha256Digest(t) });
    layers.push({ mediaType: MEDIA_TYPE_LAYER_TAR, digest: r.digest, size: r.size });
  }
  const config = buildImageConfig({
    platform: parsePlatform('linux/amd64'),
    sourceDateEpoch: 1,
    diffIds: layers.map((l) => l.digest as Digest),
    config: { Env: [`IMAGE=${env}`] },
    history: tars.map((_, i) => ({ created_by: `layer ${i}` })),
  });
  return store.writeImage(ref, config, layers);
}

/** A one-file tar whose content depends on `seed` (size bytes). */
export function seededTar(seed: string, size = 256): Uint8Array {
  return oneFileTar(`${seed.replace(/[^a-z0-9]/gi, '_')}.txt`, Buffer.alloc(size, `${seed}\n`));
}

/** Sign `digest` as `<ns>/<image>:<version>` with each key into `signaturesDir`. */
export async function signWith(signaturesDir: string, image: string, version: string, digest: string, keys: readonly TestKey[]): Promise<void> {
  for (const privateKey of keys) {
    await signDigest({ image, version, digest, namespace: 'stagex', signer: { kind: 'key', privateKey }, signaturesDir });
  }
}
