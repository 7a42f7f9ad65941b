/**
 * @tscr/daemon — `tscrd`: the composition root (`composeDaemon`), the
 * SQLite state database, the event bus and the System service. The System
 * gRPC server and client live in `@tscr/daemon/grpc`, which loads none of this.
 */
export type { CallOptions, VersionInfo, SystemInfo, EventsOptions, SystemService } from './types.js';
export { SqliteContainerStore, STATE_DB_FILE } from './state/sqlite-store.js';
export { MirroredContainerStore, RECORD_FILE } from './state/mirrored-store.js';
export { checkStateDatabase } from './state/state-check.js';
export type { StateCheck } from './state/state-check.js';
export { EventBus, eventMatcher, parseEventTime } from './events.js';
export type { SubscribeOptions, EventBusOptions } from './events.js';
export { SqliteEventLog } from './event-log.js';
export type { EventLog } from './event-log.js';
export { LocalSystemService, cgroupVersion, commandVersion } from './system.js';
export type { LocalSystemServiceOptions } from './system.js';
export { EventedImageService } from './image-events.js';
export { DEFAULT_CONFIG, LAYER_NAMES, USAGE, parseCommandLine, parseConfigFile } from './config.js';
export type { DaemonConfig, LayerName, LayerEndpoints, Command } from './config.js';
export { composeDaemon, serveLayer } from './compose.js';
export type { Daemon, ComposedDaemon, ComposeOptions } from './compose.js';
export { buildLayers, buildLayer, addLayerService, layerPaths } from './layers.js';
export type { Layer, Layers } from './layers.js';
export { StoreRegistryClient, isPullStore, registryHost } from './registry/store-registry.js';
export type { StoreRegistryOptions, PullStore } from './registry/store-registry.js';
export { EventedRegistryClient } from './registry/evented-registry.js';
export { SharedStream } from './registry/shared-stream.js';
