import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import {
  builderV1,
  containersV1,
  imagesV1,
  networkV1,
  pluginsV1,
  registryV1,
  runtimeV1,
  volumeV1,
} from '@tscr/api/grpc';
import type { PluginInfo, PluginInspector } from '@tscr/plugins';
import { addPluginsService, GrpcPluginInspector } from '@tscr/plugins/grpc';
import { makeTempDir, rejection } from '@tscr/testkit';
import { addLazyService, LAZY_SERVICES, type LazyServiceTable } from '../../src/lazy-service.js';

const generated: Record<keyof typeof LAZY_SERVICES, ServiceDefinition> = {
  images: imagesV1.ImagesService,
  runtime: runtimeV1.RuntimeService,
  networks: networkV1.NetworksService,
  volumes: volumeV1.VolumesService,
  registry: registryV1.RegistryService,
  containers: containersV1.ContainersService,
  builder: builderV1.BuilderService,
  plugins: pluginsV1.PluginsService,
};

/** What grpc-js registers of a definition: each method's path and how it streams. */
function routes(definition: ServiceDefinition) {
  return Object.fromEntries(
    Object.entries(definition).map(([key, m]) => [key, [m.path, m.requestStream, m.responseStream]]),
  );
}

describe('LAZY_SERVICES', () => {
  it('registers every method of the generated definitions, with their paths and streaming', () => {
    for (const [name, table] of Object.entries(LAZY_SERVICES) as [keyof typeof LAZY_SERVICES, LazyServiceTable][]) {
      const recorded: ServiceDefinition[] = [];
      addLazyService({ addService: (d: ServiceDefinition) => recorded.push(d) } as unknown as Server, table, () => {});
      expect(routes(recorded[0] as ServiceDefinition), name).toEqual(routes(generated[name]));
    }
  });
});

describe('addLazyService', () => {
  let dir: string | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    server?.forceShutdown();
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const plugin: PluginInfo = {
    name: 'lazy',
    address: 'unix:///x.sock',
    source: '/x.sock',
    implements: [],
    healthy: true,
  };

  it('runs the registrar on the first call, once, and serves every call through it', async () => {
    dir = await makeTempDir('lazy-service');
    const address = `unix://${join(dir, 'g.sock')}`;
    let registered = 0;
    const inspector: PluginInspector = {
      list: async () => [plugin],
      inspect: async (name) => {
        if (name !== 'lazy') throw new Error(`no plugin ${name}`);
        return plugin;
      },
    };
    server = new Server();
    const lazy = addLazyService(server, LAZY_SERVICES.plugins, (s) => {
      registered++;
      addPluginsService(s, inspector);
    });
    await new Promise<void>((resolve, reject) =>
      server?.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    expect(lazy.loaded()).toBe(false);
    expect(registered).toBe(0);
    const client = new GrpcPluginInspector(address);
    try {
      expect(await client.list()).toEqual([plugin]);
      expect(lazy.loaded()).toBe(true);
      expect((await client.inspect('lazy')).name).toBe('lazy');
      expect((await rejection(client.inspect('other'))).message).toContain('no plugin other');
      expect(registered).toBe(1);
    } finally {
      client.close();
    }
  });

  it('refuses a registrar that adds no service', () => {
    const recorded: Record<string, (...args: unknown[]) => unknown>[] = [];
    const server = {
      addService: (_d: ServiceDefinition, impl: Record<string, (...args: unknown[]) => unknown>) => recorded.push(impl),
    } as unknown as Server;
    addLazyService(server, LAZY_SERVICES.plugins, () => {});
    expect(() => recorded[0]?.listPlugins?.({}, () => {})).toThrow(/added no service/);
  });
});
