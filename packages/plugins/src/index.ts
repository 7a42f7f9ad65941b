/**
 * @tscr/plugins — Docker's plugin protocol (the one plugins written for dockerd speak). This entry holds the
 * interface types and pure helpers; discovery and the client are `@tscr/plugins/local`.
 */
export type {
  CallOptions,
  Plugin,
  PluginInfo,
  PluginKind,
  PluginDirs,
  PluginCallOptions,
  PluginRegistryOptions,
  ListPluginsOptions,
  PluginInspector,
} from './types.js';
export { codeForPluginStatus, isValidPluginName } from './errors.js';
