import { join } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import type { ImageService } from '@tscr/image';
import { createLocalImageService } from '@tscr/image/local';
import { GrpcImageService, addImageService } from '@tscr/image/grpc';
import { NetworkRouter, type NetworkService } from '@tscr/network';
import {
  PluginNetworkService,
  type PluginResolver,
  createLocalNetworkService,
  networkPrefixForRoot,
} from '@tscr/network/local';
import { GrpcNetworkService, addNetworkService } from '@tscr/network/grpc';
import type { BlobSource, RegistryClient } from '@tscr/registry-client';
import { createRegistryClient } from '@tscr/registry-client/local';
import { GrpcRegistryClient, addRegistryService } from '@tscr/registry-client/grpc';
import type { TaskRuntime } from '@tscr/runtime';
import { createLocalTaskRuntime } from '@tscr/runtime/local';
import { GrpcTaskRuntime, addRuntimeService } from '@tscr/runtime/grpc';
import { VolumeRouter, type VolumeDriverResolver, type VolumeService } from '@tscr/volume';
import { createLocalVolumeService } from '@tscr/volume/local';
import { GrpcVolumeService, addVolumeService } from '@tscr/volume/grpc';
import { DEFAULT_CONFIG, type DaemonConfig, type LayerName } from './config.js';
import { StoreRegistryClient, isPullStore } from './registry/store-registry.js';
import { dialTarget, type DaemonIdentity } from './listeners.js';
import { addLazyService, LAZY_SERVICES } from './lazy-service.js';

/** A layer as the daemon uses it, whether built here or reached over gRPC. */
export interface Layer<T> {
  service: T;
  /** `local` or the gRPC address it is reached at. */
  endpoint: string;
  /** Releases what the layer holds (the gRPC channel of a remote one). */
  close(): void;
  /** Asynchronous clean-up at daemon shutdown, before `close` (the network layer removes unused bridges). */
  shutdown?(): Promise<void>;
}

/** Every layer under the container service. */
export interface Layers {
  images: Layer<ImageService>;
  runtime: Layer<TaskRuntime>;
  networks: Layer<NetworkService>;
  volumes: Layer<VolumeService>;
  registry: Layer<RegistryClient>;
}

/** Where each local layer keeps its state under the daemon's directories. */
export function layerPaths(config: DaemonConfig) {
  return {
    images: join(config.root, 'image'),
    runtime: join(config.execRoot, 'runtime'),
    networks: join(config.root, 'network'),
    volumes: join(config.root, 'volumes'),
    containers: join(config.root, 'containers'),
  };
}

function local<T>(service: T): Layer<T> {
  return { service, endpoint: 'local', close: () => undefined };
}

function remote<T extends { close(): void }>(service: T, endpoint: string): Layer<T> {
  return { service, endpoint, close: () => service.close() };
}

/** `tscr` for the default root; `ts` + 4 hex digits of the root's hash otherwise, so daemons never share host objects. */
function networkPrefixFor(root: string): string {
  return root === DEFAULT_CONFIG.root ? 'tscr' : networkPrefixForRoot(root);
}

/** Builds one layer in process. */
function buildLocal(config: DaemonConfig, name: LayerName): Layer<unknown> {
  const paths = layerPaths(config);
  switch (name) {
    case 'images': {
      const images = createLocalImageService({
        root: paths.images,
        ...(config.layerLimits && { layerLimits: config.layerLimits }),
      });
      // Removed snapshots' files are deleted behind the calls: a graceful stop lets that end.
      return { ...local(images), shutdown: () => images.settled() };
    }
    case 'runtime': {
      const runtime = createLocalTaskRuntime({
        stateDir: paths.runtime,
        defaultRuntime: config.defaultRuntime,
        cgroupParent: config.cgroupParent,
      });
      // Deleted tasks' cgroups and bundles are removed behind the calls: a graceful stop lets that end.
      return { ...local(runtime), shutdown: () => runtime.settled() };
    }
    case 'networks': {
      const networks = createLocalNetworkService({
        root: paths.networks,
        runDir: join(config.execRoot, 'netns'),
        prefix: config.networkPrefix ?? networkPrefixFor(config.root),
        ...(config.networkPool && { pool: config.networkPool }),
      });
      return {
        service: networks,
        endpoint: 'local',
        close: () => networks.close(),
        shutdown: () => networks.shutdown(),
      };
    }
    case 'volumes':
      return local(createLocalVolumeService({ root: paths.volumes }));
    case 'registry':
      // Served alone (serve-layer): no image store to pull into.
      return local(
        createRegistryClient({ insecureRegistries: config.insecureRegistries ?? [], mirrors: config.mirrors ?? {} }),
      );
  }
}

/**
 * The daemon's own registry layer: pulls land in the image layer when it
 * is local and offers blob access; otherwise pull and push raise Unimplemented.
 */
function buildLocalRegistry(
  config: DaemonConfig,
  images: Layer<ImageService>,
  blobSource?: BlobSource,
): Layer<RegistryClient> {
  const insecureRegistries = config.insecureRegistries ?? [];
  const mirrors = config.mirrors ?? {};
  if (images.endpoint !== 'local') {
    return local(
      new StoreRegistryClient({
        insecureRegistries,
        missingStore: { pull: 'pull into a remote image layer', push: 'push from a remote image layer' },
      }),
    );
  }
  if (!isPullStore(images.service)) {
    return local(
      new StoreRegistryClient({
        insecureRegistries,
        missingStore: {
          pull: 'pull into this image store (no blob access)',
          push: 'push from this image store (no blob access)',
        },
      }),
    );
  }
  return local(
    new StoreRegistryClient({ store: images.service, insecureRegistries, mirrors, ...(blobSource && { blobSource }) }),
  );
}

/** Reaches one layer over gRPC (over TCP with the daemon's identity, when it has one). */
function buildRemote(name: LayerName, endpoint: string, identity?: DaemonIdentity): Layer<unknown> {
  const target = dialTarget(endpoint, identity);
  switch (name) {
    case 'images':
      return remote(new GrpcImageService(target), endpoint);
    case 'runtime':
      return remote(new GrpcTaskRuntime(target), endpoint);
    case 'networks':
      return remote(new GrpcNetworkService(target), endpoint);
    case 'volumes':
      return remote(new GrpcVolumeService(target), endpoint);
    case 'registry':
      return remote(new GrpcRegistryClient(target), endpoint);
  }
}

/** One layer, local or remote as configured; callers cannot tell which. */
export function buildLayer(config: DaemonConfig, name: LayerName, identity?: DaemonIdentity): Layer<unknown> {
  const endpoint = config.layers[name];
  return endpoint === 'local' ? buildLocal(config, name) : buildRemote(name, endpoint, identity);
}

/**
 * The volume layer with the configured plug-in drivers: a router that sends
 * `local` to `base` and each named driver to its gRPC address.
 */
function withVolumeDrivers(
  config: DaemonConfig,
  base: Layer<VolumeService>,
  identity?: DaemonIdentity,
  resolver?: VolumeDriverResolver,
): Layer<VolumeService> {
  const entries = Object.entries(config.volumeDrivers ?? {});
  if (entries.length === 0 && !resolver) return base;
  const plugins = entries.map(
    ([name, address]) => [name, new GrpcVolumeService(dialTarget(address, identity))] as const,
  );
  return {
    service: new VolumeRouter({ local: base.service, ...Object.fromEntries(plugins) }, resolver),
    endpoint: base.endpoint,
    close() {
      base.close();
      for (const [, p] of plugins) p.close();
    },
  };
}

/**
 * The network layer with the configured network drivers served over gRPC (`networkDrivers`): a router
 * that sends the daemon's own drivers to `base` and each named driver to its address.
 */
function withNetworkDrivers(
  config: DaemonConfig,
  base: Layer<NetworkService>,
  identity?: DaemonIdentity,
  plugins?: PluginResolver,
): Layer<NetworkService> {
  const entries = Object.entries(config.networkDrivers ?? {});
  // Docker network plugins need the host's namespaces: only with the network layer in this process.
  const pluginNets =
    plugins && base.endpoint === 'local'
      ? new PluginNetworkService({
          root: layerPaths(config).networks,
          runDir: join(config.execRoot, 'netns-plugins'),
          resolve: plugins,
        })
      : undefined;
  if (entries.length === 0 && !pluginNets) return base;
  const drivers = entries.map(
    ([name, address]) => [name, new GrpcNetworkService(dialTarget(address, identity))] as const,
  );
  return {
    service: new NetworkRouter({
      local: base.service,
      drivers: Object.fromEntries(drivers),
      ...(pluginNets && { plugins: pluginNets }),
    }),
    endpoint: base.endpoint,
    close() {
      base.close();
      for (const [, d] of drivers) d.close();
    },
    async shutdown() {
      await pluginNets?.shutdown();
      await base.shutdown?.();
    },
  };
}

/**
 * Every layer, each local or remote as configured; a local registry layer
 * pulls into the image layer, asking `blobSource` (peers) for layers first.
 */
export function buildLayers(
  config: DaemonConfig,
  opts: {
    blobSource?: BlobSource;
    identity?: DaemonIdentity;
    volumeDrivers?: VolumeDriverResolver;
    /** Finds Docker plugins by name (the daemon's plugin registry): network and IPAM drivers. */
    plugins?: PluginResolver;
  } = {},
): Layers {
  const { blobSource, identity, volumeDrivers } = opts;
  const images = buildLayer(config, 'images', identity) as Layer<ImageService>;
  return {
    images,
    runtime: buildLayer(config, 'runtime', identity) as Layer<TaskRuntime>,
    networks: withNetworkDrivers(
      config,
      buildLayer(config, 'networks', identity) as Layer<NetworkService>,
      identity,
      opts.plugins,
    ),
    volumes: withVolumeDrivers(
      config,
      buildLayer(config, 'volumes', identity) as Layer<VolumeService>,
      identity,
      volumeDrivers,
    ),
    registry:
      config.layers.registry === 'local'
        ? buildLocalRegistry(config, images, blobSource)
        : (buildLayer(config, 'registry', identity) as Layer<RegistryClient>),
  };
}

/** Registers `service` as the gRPC service of layer `name` on `server` (its code loaded on its first call). */
export function addLayerService(server: Server, name: LayerName, service: unknown): void {
  switch (name) {
    case 'images':
      addLazyService(server, LAZY_SERVICES.images, (s) => addImageService(s, service as ImageService));
      return;
    case 'runtime':
      addLazyService(server, LAZY_SERVICES.runtime, (s) => addRuntimeService(s, service as TaskRuntime));
      return;
    case 'networks':
      addLazyService(server, LAZY_SERVICES.networks, (s) => addNetworkService(s, service as NetworkService));
      return;
    case 'volumes':
      addLazyService(server, LAZY_SERVICES.volumes, (s) => addVolumeService(s, service as VolumeService));
      return;
    case 'registry':
      addLazyService(server, LAZY_SERVICES.registry, (s) => addRegistryService(s, service as RegistryClient));
      return;
  }
}
