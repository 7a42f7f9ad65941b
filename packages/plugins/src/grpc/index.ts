/**
 * @tscr/plugins/grpc — the daemon's plugins on the wire (`tscr plugin ls` / `inspect`): a server over any
 * `PluginInspector` and a client that implements it.
 */
export { createPluginsServer, addPluginsService } from './server.js';
export { GrpcPluginInspector } from './client.js';
export { pluginInfoToProto, pluginInfoFromProto } from './convert.js';
