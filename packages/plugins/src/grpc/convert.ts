import type { pluginsV1 } from '@tscr/api/grpc';
import type { PluginInfo } from '../types.js';

/** {@link PluginInfo} on the wire. */
export function pluginInfoToProto(p: PluginInfo): pluginsV1.PluginInfo {
  return {
    name: p.name,
    address: p.address,
    source: p.source,
    implements: [...p.implements],
    healthy: p.healthy,
    error: p.error ?? '',
  };
}

/** {@link PluginInfo} from the wire. */
export function pluginInfoFromProto(p: pluginsV1.PluginInfo | undefined): PluginInfo {
  const info: PluginInfo = {
    name: p?.name ?? '',
    address: p?.address ?? '',
    source: p?.source ?? '',
    implements: [...(p?.implements ?? [])],
    healthy: p?.healthy ?? false,
  };
  if (p?.error) info.error = p.error;
  return info;
}
