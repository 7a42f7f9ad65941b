/**
 * @tscr/daemon/local — a daemon on this host: `composeDaemon` wires every layer (local or remote)
 * behind the gRPC and Docker APIs; the SQLite state database, the event bus and log, and the
 * System service over them.
 */
export { SqliteContainerStore, STATE_DB_FILE } from '../state/sqlite-store.js';
export { MirroredContainerStore, RECORD_FILE, RETIRED_RECORD_FILE } from '../state/mirrored-store.js';
export { checkStateDatabase } from '../state/state-check.js';
export type { StateCheck } from '../state/state-check.js';
export { EventBus } from '../events.js';
export type { SubscribeOptions, EventBusOptions } from '../events.js';
export { SqliteEventLog } from '../event-log.js';
export type { EventLog } from '../event-log.js';
export { LocalSystemService, cgroupVersion, commandVersion } from '../system.js';
export type { LocalSystemServiceOptions } from '../system.js';
export { EventedImageService } from '../image-events.js';
export { composeDaemon, serveLayer } from '../compose.js';
export type { Daemon, ComposedDaemon, ComposeOptions } from '../compose.js';
export { buildLayers, buildLayer, addLayerService, layerPaths } from '../layers.js';
export type { Layer, Layers } from '../layers.js';
export { StoreRegistryClient, isPullStore, registryHost } from '../registry/store-registry.js';
export type { StoreRegistryOptions, PullStore } from '../registry/store-registry.js';
export { EventedRegistryClient } from '../registry/evented-registry.js';
export { SharedStream } from '../registry/shared-stream.js';
