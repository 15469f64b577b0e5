/** The distribution client's public surface. */
export { RegistryClient, MANIFEST_MEDIA_TYPES, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST_LIST, DEFAULT_MANIFEST_CAP, pullScope, pushScope } from './client.js';
export type { RegistryClientOptions, BlobSource, BlobSink, FetchedManifest, ManifestHead, BlobPushOutcome } from './client.js';
export type { TransportOptions, BodySource } from './transport.js';
export type { SinkHash } from './body.js';
export { parseReference, parseRepositoryPrefix, formatReference, isLoopbackHost, type ImageReference, type RepositoryPrefix } from './reference.js';
export { Credentials, loadCredentials, authFilePaths, credentialsFromAuthText, type CredentialEnvironment } from './credentials.js';
export { pushImage, pullImage, type ImageToPush, type ManifestToPush, type PushOptions, type PushReport, type PullTarget, type PullReport } from './image-transfer.js';
export { manifestRefs, type BlobDescriptor, type ManifestRefs } from './manifest-refs.js';
export { bufferBlobSource, fileBlobSource, memorySink } from './sources.js';
