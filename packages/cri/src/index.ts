/**
 * @tscr/cri — the Kubernetes Container Runtime Interface (runtime.v1
 * RuntimeService and ImageService) as a front door of tscrd over the same
 * layer interfaces its gRPC and Docker APIs serve. Importing it starts nothing.
 */
export type { CallOptions, CriBackends, CriConnections, CriOptions, CriServer, PullAuth } from './types.js';
export { createCriConnections, createCriServer, criHandlers, CRI_API_VERSION } from './server.js';
export {
  KIND_LABEL,
  META_LABEL,
  SANDBOX_LABEL,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
  CONTAINER_NAME_LABEL,
} from './meta.js';
export type { PodMeta, ContainerMeta } from './meta.js';
export { criLogPath } from './container-config.js';
export { SPDY_DICTIONARY, SpdyConnection, SpdyStream } from './streaming/spdy.js';
export { StreamingServer, REMOTE_COMMAND_PROTOCOLS, PORT_FORWARD_PROTOCOL } from './streaming/server.js';
export type { StreamRequest } from './streaming/server.js';
