import { callUnary, clientChannel, pluginsV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
import type { CallOptions, ListPluginsOptions, PluginInfo, PluginInspector } from '../types.js';
import { pluginInfoFromProto } from './convert.js';

/** The daemon's plugins over gRPC (`tscr plugin ls` / `inspect`). Errors arrive as the TscrError raised. */
export class GrpcPluginInspector implements PluginInspector {
  private readonly client: pluginsV1.PluginsClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new pluginsV1.PluginsClient(ch.target, ch.credentials, ch.options);
  }

  async list(opts: ListPluginsOptions = {}): Promise<PluginInfo[]> {
    const res = await callUnary<pluginsV1.ListPluginsResponse>(
      (cb) => this.client.listPlugins({ kind: opts.kind ?? '' }, cb),
      opts,
      this.target,
    );
    return res.plugins.map(pluginInfoFromProto);
  }

  async inspect(name: string, opts?: CallOptions): Promise<PluginInfo> {
    const res = await callUnary<pluginsV1.InspectPluginResponse>(
      (cb) => this.client.inspectPlugin({ name }, cb),
      opts,
      this.target,
    );
    return pluginInfoFromProto(res.plugin);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
