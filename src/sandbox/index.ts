/**
 * The sandbox's public surface for the build executor and the layer extractor/writer.
 */
export { run } from './run.js';
export { readUpper, defaultKeepXattr, WHITEOUT_PREFIX, OPAQUE_MARKER, type ReadUpperOptions } from './upper.js';
export { ensureLayerDir, layerDirPath, cleanLayerTemp } from './layer-cache.js';
export { makeWhiteout, markOpaque, makeNode, readXattrs, setXattr } from './native.js';
export { runDoctor, type DoctorCheck, type DoctorOptions } from './doctor.js';
export type { RunSpec, RunResult, OverlayRoot, DirectoryRoot, FsEntry, FsEntryKind } from './types.js';
