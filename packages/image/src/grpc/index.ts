/**
 * @tscr/image/grpc — the image layer over gRPC: a server that serves any
 * ImageService and a client that is one. Only this entry loads grpc-js.
 */
export { createImageServer, addImageService } from './server.js';
export { GrpcImageService } from './client.js';
export type { GrpcImageServiceOptions } from './client.js';
export { configFromProto, configToProto, imageFromProto, imageToProto } from './convert.js';
