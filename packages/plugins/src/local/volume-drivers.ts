import type { CallOptions } from '@tscr/api';
import type { VolumeDriverResolver, VolumeService } from '@tscr/volume';
import type { PluginRegistry } from './registry.js';
import { PluginVolumeDriver } from './volume-driver.js';
import type { PluginVolumeRecords } from './volume-records.js';

/** Options of {@link createPluginVolumeDrivers}. */
export interface PluginVolumeDriversOptions {
  registry: Pick<PluginRegistry, 'get'>;
  /** Loaded (`await records.load()`) before the resolver is used, so `known()` sees every recorded driver. */
  records: PluginVolumeRecords;
  timeouts?: { longMs: number; shortMs: number };
  logger?: (message: string) => void;
}

/**
 * Volume plug-ins as drivers of a `VolumeRouter`: a driver name the router does not know is looked up among the
 * plugins implementing `VolumeDriver`; drivers that hold recorded volumes are known without asking the plug-in.
 */
export function createPluginVolumeDrivers(o: PluginVolumeDriversOptions): VolumeDriverResolver & {
  /** The driver of plug-in `name` (made on first use). */
  driver(name: string): PluginVolumeDriver;
} {
  const drivers = new Map<string, PluginVolumeDriver>();
  const driver = (name: string) => {
    let d = drivers.get(name);
    if (!d) {
      d = new PluginVolumeDriver({
        name,
        plugin: (opts?: CallOptions) => o.registry.get(name, 'VolumeDriver', opts),
        records: o.records,
        ...(o.timeouts ? { timeouts: o.timeouts } : {}),
        ...(o.logger ? { logger: o.logger } : {}),
      });
      drivers.set(name, d);
    }
    return d;
  };
  return {
    driver,
    known: () => [...new Set([...o.records.drivers(), ...drivers.keys()])],
    async resolve(name: string, opts?: CallOptions): Promise<VolumeService> {
      if (!drivers.has(name) && !o.records.drivers().includes(name)) await o.registry.get(name, 'VolumeDriver', opts);
      return driver(name);
    },
  };
}
