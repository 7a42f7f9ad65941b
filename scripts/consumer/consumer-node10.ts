// The same subpaths under node10 resolution (moduleResolution "node"): typesVersions must map them.
import type { imagesV1 } from '@tscr/api/grpc';
import type { GrpcImageService } from '@tscr/image/grpc';
import type { LocalNetworkServiceOptions } from '@tscr/network/local';
import type { GrpcBuilderService } from '@tscr/builder/grpc';

export type Used = [imagesV1.ImageConfig, GrpcImageService, LocalNetworkServiceOptions, GrpcBuilderService];
