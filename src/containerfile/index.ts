/** The Containerfile front end: parser, word expansion, ARG scoping. Pure (no I/O). */
export * from './types.js';
export { parseContainerfile, INSTRUCTION_KEYWORDS } from './parser.js';
export { splitWords } from './words.js';
export { expandWord, escapeLiteral, type Lookup, type WordSite } from './expand.js';
export {
  parsePlatform, formatPlatform, platformArgs, globalScope, StageScope, resolveFromImages, resolveStages, expandWithVars,
  type Platform, type BuildContext, type ResolvedStage, type CopyFromRef,
} from './scope.js';
export { dumpContainerfile } from './dump.js';
