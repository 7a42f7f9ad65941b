/**
 * @tscr/api/grpc — everything wire-related: generated messages and service
 * definitions (namespaced per proto package), the one mapping between
 * TscrError and gRPC status, and helpers that adapt calls to Promises and
 * AsyncIterables with AbortSignal support.
 */
export { codeToStatus, statusToCode, toStatus, fromStatus } from './status.js';
export {
  parseEndpoint,
  endpointHost,
  clientChannel,
  clientChannelOptions,
  clientCredentials,
} from './address.js';
export type { Endpoint, ClientTls, DaemonTarget, DaemonAddress, ClientChannel } from './address.js';
export { callUnary, callServerStream, callClientStream } from './call.js';
export type { CallOptions } from './call.js';
export { unaryHandler, serverStreamHandler, clientStreamHandler } from './handlers.js';
export type { CallContext } from './handlers.js';
export { listen } from './listen.js';
export { limitFirstCall, traceStreams } from './first-call.js';
export { createSystemServer, addSystemService } from './system-server.js';
export { GrpcSystemService } from './system-client.js';
export type { ListenOptions, ServerTls } from './listen.js';
export { healthConfigToProto, healthConfigFromProto } from './health-convert.js';
export * as typesV1 from '../../gen/tscr/types/v1/types.js';
export * as resourcesV1 from '../../gen/tscr/types/v1/resources.js';
export * as imagesV1 from '../../gen/tscr/images/v1/images.js';
export * as runtimeV1 from '../../gen/tscr/runtime/v1/runtime.js';
export * as containersV1 from '../../gen/tscr/containers/v1/containers.js';
export * as systemV1 from '../../gen/tscr/system/v1/system.js';
export * as networkV1 from '../../gen/tscr/network/v1/network.js';
export * as volumeV1 from '../../gen/tscr/volume/v1/volume.js';
export * as registryV1 from '../../gen/tscr/registry/v1/registry.js';
export * as builderV1 from '../../gen/tscr/builder/v1/builder.js';
export * as transferV1 from '../../gen/tscr/transfer/v1/transfer.js';
export * as pluginsV1 from '../../gen/tscr/plugins/v1/plugins.js';
export { GrpcTransferService } from './transfer-client.js';
