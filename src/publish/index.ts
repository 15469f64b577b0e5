/** publish/push/pull: the glue between the store, trust and the registry client. */
export { publishImages, type PublishOptions, type PublishReport, type ImagePublishReport, type QuorumRequirement } from './publish.js';
export { pullVerified, type PullOptions, type PullResult } from './pull.js';
export { readStoredImage, storeBlobSource, type StoredImage } from './store-image.js';
export { StagedBlobs } from './staged-blobs.js';
export { copySignatures, acceptedSignatureBytes, type LookasideCopyReport } from './lookaside-copy.js';
export { readImageVersions, versionsOfTree, versionOf, type ImageVersions } from './image-versions.js';
export { quorumError, quorumShortfall } from './quorum-failure.js';
export { formatPublishReport, publishReportJson, formatPullResult, pullResultJson } from './report.js';
