import type { Server } from '@grpc/grpc-js';
import { pluginsV1, unaryHandler } from '@tscr/api/grpc';
import type { PluginInspector } from '../types.js';
import { pluginInfoToProto } from './convert.js';

/** The handlers of the `tscr.plugins.v1.Plugins` service, each forwarding to `impl`. */
export function createPluginsServer(impl: PluginInspector): pluginsV1.PluginsServer {
  return {
    listPlugins: unaryHandler(async (req: pluginsV1.ListPluginsRequest, { signal }) => ({
      plugins: (await impl.list({ signal, ...(req.kind ? { kind: req.kind } : {}) })).map(pluginInfoToProto),
    })),
    inspectPlugin: unaryHandler(async (req: pluginsV1.InspectPluginRequest, { signal }) => ({
      plugin: pluginInfoToProto(await impl.inspect(req.name, { signal })),
    })),
  };
}

/** Registers the plugins service, backed by `impl`, on `server`. */
export function addPluginsService(server: Server, impl: PluginInspector): void {
  server.addService(pluginsV1.PluginsService, createPluginsServer(impl));
}
