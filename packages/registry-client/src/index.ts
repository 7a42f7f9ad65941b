/**
 * @tscr/registry-client — image references and an OCI distribution client
 * that any Node app can use without a daemon. The gRPC server and client
 * live in `@tscr/registry-client/grpc`.
 * This entry holds the interface types and pure helpers only (nothing that
 * touches the host); the local implementation is `@tscr/registry-client/local`.
 */
export type {
  CallOptions,
  Reference,
  Progress,
  RegistryClient,
  ImageSink,
  ImageSource,
  Descriptor,
  BlobSource,
} from './types.js';
export { parseReference, repositoryName, familiarize, DEFAULT_DOMAIN } from './reference/parse.js';
export { verifyStream, sha256Digest } from './distribution/digest.js';
export { parseChallenges, chooseChallenge } from './auth/challenge.js';
export type { Challenge, BearerChallenge } from './auth/challenge.js';
export {
  DockerConfigStore,
  memoryCredentials,
  defaultDockerConfigPath,
  DOCKER_HUB_AUTH_KEY,
} from './auth/credentials.js';
export type { Credentials, CredentialStore } from './auth/credentials.js';
export { MediaTypes, isIndexType, isImageManifestType } from './manifest/media-types.js';
export { parseManifest } from './manifest/parse.js';
export {
  hostPlatform,
  ociArchitecture,
  selectPlatform,
  platformMatches,
  parsePlatform,
  formatPlatform,
} from './manifest/platform.js';
export type { Platform, ImageManifest, ImageIndex, Manifest } from './manifest/types.js';
