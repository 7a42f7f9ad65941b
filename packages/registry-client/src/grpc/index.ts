/**
 * @tscr/registry-client/grpc — the registry layer on the wire: a server that
 * wraps any `RegistryClient` and a client that implements it.
 */
export { createRegistryServer, addRegistryService } from './server.js';
export { GrpcRegistryClient } from './client.js';
export { canListTags, canLogin } from './options.js';
export type {
  RegistryAuth,
  RegistryRequestOptions,
  LoginResult,
  RegistryLogin,
  RegistryService,
  RegistryTags,
} from './options.js';
