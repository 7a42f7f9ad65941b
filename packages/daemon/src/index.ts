/**
 * @tscr/daemon — `tscrd`, the composition root of tscr. This entry holds what needs no host: the
 * System service's types (defined in `@tscr/api`) and the command line and config file parsing.
 * `@tscr/daemon/local` composes a daemon (`composeDaemon`, SQLite state, the event bus);
 * `@tscr/daemon/grpc` re-exports the System service's server and client from `@tscr/api/grpc`.
 */
export type { CallOptions, VersionInfo, SystemInfo, EventsOptions, SystemService } from './types.js';
export { DEFAULT_CONFIG, DEFAULT_LIMITS, LAYER_NAMES, USAGE, parseCommandLine, parseConfigFile } from './config.js';
export type { ApiLimits, DaemonConfig, LayerName, LayerEndpoints, Command } from './config.js';
export { eventMatcher, parseEventTime } from './events.js';
