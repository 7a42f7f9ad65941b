#!/usr/bin/env node
/**
 * A network driver as a Node program: any `NetworkService` served over gRPC with `@tscr/network/grpc`, for
 * `tscrd --network-driver NAME=unix://SOCKET`. This one serves the package's own bridge implementation with a
 * prefix, address pool and state of its own (a second, independent set of bridges).
 *
 *   node serve-driver.mjs SOCKET STATE_DIR PREFIX POOL
 *
 * It prints `ready` when it listens; SIGTERM stops it (the networks' host objects stay, as tscrd leaves them);
 * SIGUSR2 removes every host object of its prefix and exits.
 */
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { addNetworkService } from '@tscr/network/grpc';
import { createLocalNetworkService } from '@tscr/network/local';

const [socket, dir, prefix, pool] = process.argv.slice(2);
if (!socket || !dir || !prefix || !pool) {
  console.error('usage: serve-driver.mjs SOCKET STATE_DIR PREFIX POOL');
  process.exit(2);
}
const driver = createLocalNetworkService({ root: join(dir, 'state'), runDir: join(dir, 'netns'), prefix, pool });
const server = new Server();
addNetworkService(server, driver);
await listen(server, `unix://${socket}`);
console.log('ready');
process.on('SIGTERM', () => {
  server.forceShutdown();
  driver.close();
  process.exit(0);
});
process.on('SIGUSR2', async () => {
  server.forceShutdown();
  await driver.purge();
  process.exit(0);
});
