/**
 * @tscr/registry-client/local — the OCI distribution client itself: HTTP transport, auth
 * round-trips, pulls and pushes, and `LocalRegistryClient` over them. The references, manifests,
 * platforms and credentials it works with are in `@tscr/registry-client`.
 */
export { LocalRegistryClient, createRegistryClient, login } from './registry-client.js';
export type { RegistryClientOptions } from './registry-client.js';
export {
  DistributionClient,
  createDistributionClient,
  MAX_MANIFEST_BYTES,
  MAX_CONFIG_BYTES,
} from '../distribution/client.js';
export type {
  DistributionClientOptions,
  RequestOptions,
  GetManifestOptions,
  FetchedManifest,
  ResolvedImage,
  RefLike,
  RepoLike,
  ListOptions,
} from '../distribution/client.js';
export type { PushBlobOptions, PushBlobResult } from '../distribution/upload.js';
export { pullImage } from '../distribution/pull.js';
export type { PullOptions } from '../distribution/pull.js';
export { pushImage } from '../distribution/push.js';
export type { PushOptions } from '../distribution/push.js';
export type { Repository } from '../distribution/session.js';
export { Authorizer } from '../auth/authorizer.js';
export type { AuthorizerOptions } from '../auth/authorizer.js';
export { createHttpTransport } from '../transport/http.js';
export type { HttpTransport, HttpRequest, HttpResponse, HttpTransportOptions } from '../transport/http.js';
export { withRetries } from '../transport/retry.js';
export type { RetryOptions } from '../transport/retry.js';
export { createLimiter } from '../transport/limit.js';
export type { Limiter } from '../transport/limit.js';
export { registryBaseUrl, isLoopback } from '../transport/scheme.js';
