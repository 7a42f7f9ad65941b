/**
 * @tscr/volume/grpc — the volume layer on the wire: a server that wraps
 * any `VolumeService` and a client that implements it.
 */
export { createVolumeServer, addVolumeService } from './server.js';
export { GrpcVolumeService } from './client.js';
