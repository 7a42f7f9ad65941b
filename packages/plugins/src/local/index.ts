/**
 * @tscr/plugins/local — Docker's legacy plugin protocol on this host: discovery in the plugin directories,
 * activation, and the JSON-over-HTTP client with dockerd's timeouts and retries.
 */
export { PluginRegistry, createPluginRegistry } from './registry.js';
export { PluginClient, decodeAnswer } from './plugin-client.js';
export type { PluginClientTiming, Relocate } from './plugin-client.js';
export { findPlugin, scanPluginNames, parseSpec } from './discovery.js';
export type { PluginLocation, PluginTls } from './discovery.js';
export { postPlugin, PLUGIN_MEDIA_TYPE } from './transport.js';
export type { RawAnswer, PostOptions } from './transport.js';
export { DOCKER_SOCKET_DIR, DOCKER_SPEC_DIRS, pluginDirs } from './dirs.js';
export type {
  Plugin,
  PluginInfo,
  PluginKind,
  PluginDirs,
  PluginCallOptions,
  PluginRegistryOptions,
  ListPluginsOptions,
  PluginInspector,
} from '../types.js';
export { PluginVolumeDriver, VOLUME_TIMEOUTS } from './volume-driver.js';
export type { PluginVolumeDriverOptions } from './volume-driver.js';
export { PluginVolumeRecords } from './volume-records.js';
export type { PluginVolumeRecord } from './volume-records.js';
export { createPluginVolumeDrivers } from './volume-drivers.js';
export type { PluginVolumeDriversOptions } from './volume-drivers.js';
