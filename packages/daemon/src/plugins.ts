/**
 * The daemon's one plugin registry (Docker's legacy plugins: volume drivers here; network, IPAM and authz
 * drivers use the same registry), and the volume plug-ins as drivers of the volume router.
 */
import { join } from 'node:path';
import { PluginRegistry, PluginVolumeRecords, createPluginVolumeDrivers } from '@tscr/plugins/local';
import type { VolumeDriverResolver } from '@tscr/volume';
import type { DaemonConfig } from './config.js';

/** What {@link buildPlugins} makes. */
export interface DaemonPlugins {
  /** Finds and activates plugins; shared by every kind of driver. */
  registry: PluginRegistry;
  /** Volume plug-ins, for the volume router. */
  volumeDrivers: VolumeDriverResolver;
}

/**
 * The registry over dockerd's plugin directories (unless `dockerPluginDirs` is false) and tscr's own
 * (`pluginDirs`, default `<execRoot>/plugins`), with the plug-in volume records under `<root>/plugins/`.
 */
export async function buildPlugins(config: DaemonConfig, logger: (m: string) => void): Promise<DaemonPlugins> {
  const t = config.pluginTimeouts ?? {};
  const registry = new PluginRegistry({
    ...(config.dockerPluginDirs === false ? { dirs: { sockets: [], specs: [] } } : {}),
    extraDirs: config.pluginDirs ?? [join(config.execRoot, 'plugins')],
    ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}),
    ...(t.retryMs ? { retryMs: t.retryMs } : {}),
    ...(t.retryBaseMs ? { retryBaseMs: t.retryBaseMs } : {}),
  });
  const records = new PluginVolumeRecords(join(config.root, 'plugins', 'volumes.json'));
  await records.load();
  const volumeDrivers = createPluginVolumeDrivers({
    registry,
    records,
    ...(t.timeoutMs ? { timeouts: { longMs: t.timeoutMs, shortMs: t.timeoutMs } } : {}),
    logger,
  });
  return { registry, volumeDrivers };
}
