/**
 * @tscr/container/local — the container service on this host, over local or remote
 * layers, and an in-memory container store.
 */
export { LocalContainerService, createLocalContainerService } from './container-service.js';
export type { LocalContainerServiceOptions } from './container-service.js';
export type { LogReader, ReadLogsOptions } from './output.js';
export { MemoryContainerStore } from './memory-store.js';
