/** tscr's discovered (legacy) plugins → the shape of dockerd's plugin JSON, as far as it fits. */
import { createHash } from 'node:crypto';
import type { PluginInfo } from '@tscr/plugins';

/** Docker's capability names of what a legacy plugin implements. */
const CAPABILITIES: Record<string, string> = {
  VolumeDriver: 'volumedriver',
  NetworkDriver: 'networkdriver',
  IpamDriver: 'ipamdriver',
  authz: 'authz',
  LogDriver: 'logdriver',
  MetricsCollector: 'metricscollector',
};

/** Docker's capability (`volumedriver`…) of an `Implements` entry. */
export function pluginCapability(implemented: string): string {
  return CAPABILITIES[implemented] ?? implemented.toLowerCase();
}

/**
 * A plugin as `GET /plugins` and `GET /plugins/{name}/json` show it. A legacy plugin has no image, settings or
 * manifest: `Id` is the SHA-256 of its name, `Enabled` says whether it answered `Plugin.Activate`, and
 * `Config.Interface` names its socket or URL and what it implements.
 */
export function pluginJson(p: PluginInfo) {
  const socket = p.address.startsWith('unix://') ? p.address.slice('unix://'.length) : p.address;
  return {
    Id: createHash('sha256').update(p.name).digest('hex'),
    Name: p.name,
    Enabled: p.healthy,
    Settings: { Mounts: [], Env: [], Args: [], Devices: [] },
    PluginReference: '',
    Config: {
      Description: p.healthy
        ? `legacy plugin found by ${p.source}`
        : `legacy plugin found by ${p.source}: ${p.error ?? 'not answering'}`,
      Documentation: '',
      Interface: {
        Types: p.implements.map((i) => `docker.${pluginCapability(i)}/1.0`),
        Socket: socket,
      },
      Entrypoint: [],
      WorkDir: '',
      Network: { Type: '' },
      Linux: { Capabilities: [], AllowAllDevices: false, Devices: [] },
      PropagatedMount: '',
      Mounts: [],
      Env: [],
      Args: { Name: '', Description: '', Settable: [], Value: [] },
    },
  };
}
