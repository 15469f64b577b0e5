/** strata audit: does every image descend from a declared seed? (issue 6, ADRs 0110–0114) */
export type {
  AuditFacts, BinarySeedFacts, ContentClass, FileFacts, ImageInput, ImageInputs, Reason, SeedFacts, SeedRoot, SourceFacts, TraceStep, Verdict, Via,
} from './types.js';
export { auditTree, normaliseTreePath, type AuditOptions, type AuditReport } from './audit.js';
export { evaluateAudit, evaluateImage, offendingContent } from './evaluate.js';
export { imageInputs, type ImageTarget } from './inputs.js';
export { globToRegExp } from '../tar/context-path.js';
export { ContextView, type ContextItem, type ContextNode, type RealNode } from './context.js';
export { executableFormat, isText, TextCheck, MAGIC_BYTES } from './content.js';
export { auditJson, auditTable, formatReason, formatRoot, formatStep, traceText, verdictJson, type VerdictJson } from './render.js';
