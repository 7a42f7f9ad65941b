/**
 * @tscr/registry-client — image references and an OCI distribution client
 * that any Node app can use without a daemon. The gRPC server and client
 * live in `@tscr/registry-client/grpc`.
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
export { LocalRegistryClient, createRegistryClient, login } from './local/registry-client.js';
export type { RegistryClientOptions } from './local/registry-client.js';

export {
  DistributionClient,
  createDistributionClient,
  MAX_MANIFEST_BYTES,
  MAX_CONFIG_BYTES,
} from './distribution/client.js';
export type {
  DistributionClientOptions,
  RequestOptions,
  GetManifestOptions,
  FetchedManifest,
  ResolvedImage,
  RefLike,
  RepoLike,
  ListOptions,
} from './distribution/client.js';
export type { PushBlobOptions, PushBlobResult } from './distribution/upload.js';
export { pullImage } from './distribution/pull.js';
export type { PullOptions } from './distribution/pull.js';
export { pushImage } from './distribution/push.js';
export type { PushOptions } from './distribution/push.js';
export { verifyStream, sha256Digest } from './distribution/digest.js';
export type { Repository } from './distribution/session.js';

export { parseChallenges, chooseChallenge } from './auth/challenge.js';
export type { Challenge, BearerChallenge } from './auth/challenge.js';
export { Authorizer } from './auth/authorizer.js';
export type { AuthorizerOptions } from './auth/authorizer.js';
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

export { createHttpTransport } from './transport/http.js';
export type { HttpTransport, HttpRequest, HttpResponse, HttpTransportOptions } from './transport/http.js';
export { withRetries } from './transport/retry.js';
export type { RetryOptions } from './transport/retry.js';
export { createLimiter } from './transport/limit.js';
export type { Limiter } from './transport/limit.js';
export { registryBaseUrl, isLoopback } from './transport/scheme.js';
