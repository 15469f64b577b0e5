/**
 * containers-policy.json(5) and containers-registries.d(5) files for podman/skopeo users.
 *
 * containers' policy language cannot say "M of N": a `signedBy` requirement with a keyring
 * accepts any one key of it (1-of-N), and a list of requirements must all hold, so one
 * `signedBy` per maintainer gives N-of-N. M-of-N needs `strata check`. buildPolicyFiles is
 * pure (keys are passed as bytes); writePolicyFiles does the I/O.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Maintainers } from './maintainers.js';
import type { Keyring } from './openpgp.js';
import { StrataError } from '../errors.js';

export interface PolicyInput {
  readonly maintainers: Maintainers;
  readonly keyring: Keyring;
  readonly namespace: string;
  /** Registry host of the scope; default docker.io. */
  readonly registry: string;
  /** The lookaside URL written to registries.d (file:///… or http(s)://…). */
  readonly lookaside: string;
  /** One signedBy per maintainer (N-of-N) instead of one keyring requirement (1-of-N). */
  readonly allOf: boolean;
  /** Where the key files will live when installed (absolute); keyPath values point there. */
  readonly keyDir: string;
}

export interface PolicyFiles {
  /** Relative path → contents. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly scope: string;
  readonly requirementCount: number;
}

export function buildPolicyFiles(input: PolicyInput): PolicyFiles {
  const scope = `${input.registry}/${input.namespace}`;
  const files = new Map<string, Uint8Array>();
  const keyBytes = (fingerprints: readonly string[]): Uint8Array =>
    Buffer.concat(fingerprints.map((f) => input.keyring.get(f)).filter((k) => k !== undefined).map((k) => k.write()));
  const requirements: Array<Record<string, unknown>> = [];
  const available = (fprs: string[]): string[] => fprs.filter((f) => input.keyring.get(f) !== undefined);
  if (input.allOf) {
    const handles = [...new Set(input.maintainers.keys.map((k) => k.handle))].sort();
    for (const h of handles) {
      const fprs = available(input.maintainers.keys.filter((k) => k.handle === h).map((k) => k.fingerprint));
      if (fprs.length === 0) continue;
      const rel = `keys/${h}.gpg`;
      files.set(rel, keyBytes(fprs));
      requirements.push({ type: 'signedBy', keyType: 'GPGKeys', keyPath: path.posix.join(input.keyDir, `${h}.gpg`) });
    }
  } else {
    const fprs = available(input.maintainers.keys.map((k) => k.fingerprint));
    if (fprs.length > 0) {
      files.set('keys/maintainers.gpg', keyBytes(fprs));
      requirements.push({ type: 'signedBy', keyType: 'GPGKeys', keyPath: path.posix.join(input.keyDir, 'maintainers.gpg') });
    }
  }
  if (requirements.length === 0) {
    throw new StrataError('trust/no-keys', 'no public key of any MAINTAINERS entry is available', {
      hint: "add the maintainers' keys to keys/*.asc or pass --keyring FILE",
    });
  }
  // Signatures name `<ns>/<image>:<version>`, i.e. docker.io/<ns>/…; served from another
  // registry, the pulled reference must be mapped back to that signed identity.
  if (input.registry !== 'docker.io') {
    for (const r of requirements) {
      r['signedIdentity'] = { type: 'remapIdentity', prefix: scope, signedPrefix: `docker.io/${input.namespace}` };
    }
  }
  const policy = {
    default: [{ type: 'insecureAcceptAnything' }],
    transports: { docker: { [scope]: requirements } },
  };
  files.set('policy.json', new TextEncoder().encode(`${JSON.stringify(policy, null, 2)}\n`));
  const yaml = [
    `# strata: lookaside signatures for ${scope}`,
    'docker:',
    `  ${yamlString(scope)}:`,
    `    lookaside: ${yamlString(input.lookaside)}`,
    '',
  ].join('\n');
  files.set(`registries.d/strata-${input.namespace.replace(/[^a-z0-9._-]/g, '-')}.yaml`, new TextEncoder().encode(yaml));
  return { files, scope, requirementCount: requirements.length };
}

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

/** Write the files under `outDir` (created); existing files are replaced atomically. */
export async function writePolicyFiles(outDir: string, files: PolicyFiles): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, bytes] of [...files.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = path.join(outDir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await fs.writeFile(tmp, bytes, { mode: 0o644 });
    await fs.rename(tmp, file);
    written.push(file);
  }
  return written;
}
