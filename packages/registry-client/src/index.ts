/**
 * @tscr/registry-client — image references and (in a later issue) the OCI
 * distribution client. The gRPC server and client live in `@tscr/registry-client/grpc`.
 */
export type { CallOptions, Reference, Progress, RegistryClient } from './types.js';
export { parseReference, repositoryName, familiarize, DEFAULT_DOMAIN } from './reference/parse.js';
export { LocalRegistryClient, createRegistryClient } from './local/registry-client.js';
