/**
 * The audit's judgement, pure (docs/adr/0110–0112): given each image's inputs (in
 * dependency order) and the facts the edge found about them, is the image bootstrapped —
 * does everything in it descend from a declared seed through build steps of this tree —
 * and if not, why not. An image is bootstrapped when none of its own inputs offends and
 * every tree image it takes in is bootstrapped.
 */
import { formatLocation, type SourceLocation } from '../errors.js';
import { shortHex } from './render.js';
import type { AuditFacts, ContentClass, ImageInput, ImageInputs, Reason, SeedRoot, TraceStep, Verdict, Via } from './types.js';

/** Evaluate images given in dependency order (every tree image before the images that take it in). */
export function evaluateAudit(images: readonly ImageInputs[], facts: AuditFacts): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();
  for (const img of images) verdicts.set(img.name, evaluateImage(img, facts, verdicts));
  return verdicts;
}

function rootKey(r: SeedRoot): string {
  return r.kind === 'seed' ? `seed:${r.packageId}` : `binary:${r.path}`;
}

export function evaluateImage(img: ImageInputs, facts: AuditFacts, done: ReadonlyMap<string, Verdict>): Verdict {
  const own: { reason: Reason; input: ImageInput }[] = [];
  const depReasons: Reason[] = [];
  const roots = new Map<string, SeedRoot>();
  let rootPath: TraceStep[] | undefined;
  let depOffendingPath: TraceStep[] | undefined;
  const head: TraceStep = { kind: 'image', name: img.name };

  for (const input of img.inputs) {
    if (input.kind === 'tree-image') {
      const dep = done.get(input.image);
      if (!dep) throw new Error(`audit: ${input.image} evaluated after ${img.name}`);
      const step: TraceStep = { kind: 'dependency', image: input.image, via: input.via, location: input.location };
      if (!dep.bootstrapped) {
        depReasons.push({
          code: 'dependency',
          message: `${input.via} ${input.image}, which is not bootstrapped`,
          location: input.location,
          hint: `run 'strata trace ${input.image}' to see why`,
          dependency: input.image,
        });
        depOffendingPath ??= [head, step, ...dep.path.slice(1)];
      } else {
        for (const r of dep.roots) roots.set(rootKey(r), r);
        if (dep.roots.length > 0) rootPath ??= [head, step, ...dep.path.slice(1)];
      }
      continue;
    }
    const judged = judgeInput(img.name, input, facts);
    if ('root' in judged) {
      roots.set(rootKey(judged.root), judged.root);
      rootPath ??= [head, { kind: 'root', root: judged.root, via: judged.via, location: judged.location }];
    } else if (judged.reason) {
      own.push({ reason: judged.reason, input });
    }
  }

  const reasons = [...own.map((o) => o.reason), ...depReasons];
  const bootstrapped = reasons.length === 0;
  let path: TraceStep[];
  if (!bootstrapped) {
    path = own.length > 0 ? [head, { kind: 'offending', reason: own[0]!.reason }] : depOffendingPath!;
  } else {
    path = rootPath ?? [head, { kind: 'text-only' }];
  }
  const sortedRoots = [...roots.values()].sort((a, b) => (rootKey(a) < rootKey(b) ? -1 : rootKey(a) > rootKey(b) ? 1 : 0));
  return { name: img.name, bootstrapped, reasons, path, roots: bootstrapped ? sortedRoots : [] };
}

type Judged =
  | { readonly root: SeedRoot; readonly via: Via; readonly location: SourceLocation }
  | { readonly reason: Reason | undefined };

function reason(code: Reason['code'], message: string, location: Reason['location'], hint: string): { reason: Reason } {
  return { reason: { code, message, location, hint } };
}

const BUILD_IT_HERE = 'build it from source in this tree instead';

/** One non-image input: a root, an offence, or neither (text). */
function judgeInput(imageName: string, input: Exclude<ImageInput, { kind: 'tree-image' }>, facts: AuditFacts): Judged {
  switch (input.kind) {
    case 'external-image':
      return reason('external-image', `${input.via} ${input.ref}: an image from outside this tree`, input.location,
        'build that image in this tree from source and refer to it by the tree namespace');
    case 'url':
      return reason('url', `ADD ${input.url}: downloaded at build time, not a hash-pinned source of this tree`, input.location,
        "declare it as a [sources.<id>] table with its sha256 and ADD fetch/<file> instead");
    case 'seed': {
      const s = facts.seeds.get(input.packageId);
      if (!s) throw new Error(`audit: no seed facts for ${input.packageId}`);
      if (!s.ok) return reason('seed-mismatch', `the [seed] of ${input.packageId} cannot be used: ${s.message}`, s.location ?? input.location, s.hint ?? 'fix the [seed] table');
      return {
        root: { kind: 'seed', packageId: input.packageId, sourceFile: s.sourceFile, bytes: s.bytes, sha256: s.sha256 },
        via: input.via,
        location: input.location,
      };
    }
    case 'context-file': {
      const f = facts.files.get(input.display);
      if (!f) throw new Error(`audit: no facts for ${input.display}`);
      const declared = facts.binarySeeds.get(input.treePath);
      if (declared) {
        if (f.sha256 !== declared.sha256) {
          return reason('binary-seed-mismatch',
            `${input.via} ${input.display}: declared as a binary seed with sha256 ${shortHex(declared.sha256)}, but the file hashes to ${shortHex(f.sha256)}`,
            input.location, `audit the changed seed (${formatLocation(declared.location)}); only then update its sha256`);
        }
        return { root: { kind: 'binary-seed', path: declared.path, bytes: f.size, sha256: f.sha256 }, via: input.via, location: input.location };
      }
      const what = offendingContent(f.content, 'context');
      if (!what) return { reason: undefined };
      const code = f.content.kind === 'unreadable' ? 'unreadable' : 'binary-from-context';
      return reason(code, `${input.via} of ${input.display} from the build context: ${what}`, input.location,
        f.content.kind === 'unreadable' ? 'repair or remove the file'
          : `${BUILD_IT_HERE}, or if it is the tree's seed declare it in strata.toml: seeds = [{ path = "${input.treePath}", sha256 = "…" }]`);
    }
    case 'source': {
      const s = facts.sources.get(input.source.hash);
      const label = `source '${input.source.id}' (${input.source.file}, sha256 ${shortHex(input.source.hash)})`;
      if (!s || s.state === 'missing') {
        return reason('not-fetched', `${input.via} of ${label}: not fetched, cannot be audited`, input.location,
          `run 'strata fetch ${imageName}' first`);
      }
      if (s.state === 'corrupt') {
        return reason('corrupt-source', `${input.via} of ${label}: the cached copy hashes to ${shortHex(s.actual)}, cannot be audited`, input.location,
          "run 'strata fetch --recheck' to remove it and fetch it again");
      }
      const what = offendingContent(s.content, 'source');
      if (!what) return { reason: undefined };
      const code = s.content.kind === 'unreadable' ? 'unreadable' : s.content.kind === 'binary' ? 'binary-source' : 'prebuilt-in-source';
      return reason(code, `${input.via} of ${label}: ${what}`, input.location,
        code === 'prebuilt-in-source' ? 'use a source release without prebuilt binaries (deleting them during the build does not prove nothing ran them)'
          : code === 'binary-source' ? 'declare the source archive (tar, optionally compressed) or text files it is made from'
            : 'the archive is damaged: fetch it again or replace the source');
    }
  }
}

/** Why this content is not source, or undefined when it is (text, or an archive without executables). */
export function offendingContent(c: ContentClass, where: 'context' | 'source'): string | undefined {
  switch (c.kind) {
    case 'text':
      return undefined;
    case 'executable':
      return `a prebuilt ${c.format} file, not built here from source`;
    case 'binary':
      return where === 'context'
        ? 'binary content (not text), not built here from source'
        : 'binary content that is neither text nor a tar archive, cannot be audited';
    case 'archive': {
      if (c.executableCount === 0) return undefined;
      const listed = c.executables.map((e) => `${e.member} (${e.format})`).join(', ');
      const more = c.executableCount > c.executables.length ? ` and ${c.executableCount - c.executables.length} more` : '';
      return `archive contains ${c.executableCount === 1 ? 'a prebuilt executable' : `${c.executableCount} prebuilt executables`}: ${listed}${more}`;
    }
    case 'unreadable':
      return `cannot be read: ${c.message}`;
  }
}
