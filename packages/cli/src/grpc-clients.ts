/**
 * The gRPC client classes the CLI uses, in one module that `client.ts` loads on
 * the first call of a getter: importing them by name (not a package's whole
 * "./grpc" namespace) lets the bundler leave out the servers and unused messages.
 */
export { GrpcContainerService } from '@tscr/container/grpc';
export { GrpcImageService } from '@tscr/image/grpc';
export { GrpcRegistryClient } from '@tscr/registry-client/grpc';
export { GrpcSystemService, GrpcTransferService } from '@tscr/api/grpc';
export { GrpcVolumeService } from '@tscr/volume/grpc';
export { GrpcNetworkService } from '@tscr/network/grpc';
export { GrpcBuilderService } from '@tscr/builder/grpc';
export { GrpcPluginInspector } from '@tscr/plugins/grpc';
