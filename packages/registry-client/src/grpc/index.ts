/**
 * @tscr/registry-client/grpc — the registry layer on the wire: a server that
 * wraps any `RegistryClient` and a client that implements it.
 */
export { createRegistryServer, addRegistryService } from './server.js';
export { GrpcRegistryClient } from './client.js';
export { canLogin } from './options.js';
export type { RegistryAuth, RegistryRequestOptions, LoginResult, RegistryLogin, RegistryService } from './options.js';
