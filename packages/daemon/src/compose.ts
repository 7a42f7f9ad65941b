/**
 * The composition root: the one place that decides which implementation of
 * each layer the daemon runs and wires them together. Nothing runs until
 * `composeDaemon` or `serveLayer` is called.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { listen } from '@tscr/api/grpc';
import { createLocalContainerService, type LocalContainerService } from '@tscr/container/local';
import { addContainerService } from '@tscr/container/grpc';
import { addBuilderService } from '@tscr/builder/grpc';
import type { DockerApiServer } from '@tscr/docker-api';
import { DEFAULT_RUNTIMES, monitorVersion, readLogs, runtimeVersion } from '@tscr/runtime/local';
import { spreadSubdirectories } from '@tscr/api';
import type { DaemonConfig, LayerName } from './config.js';
import { SqliteEventLog } from './event-log.js';
import { EventBus } from './events.js';
import { addSystemService } from '@tscr/api/grpc';
import { addTransferService } from './grpc/transfer-server.js';
import { connectDaemon } from './transfer/connect.js';
import { PeerBlobSource } from './transfer/peers.js';
import { isPullStore } from './registry/store-registry.js';
import { LocalTransferService, type TransferImageStore } from './transfer/local-transfer.js';
import { EventedImageService } from './image-events.js';
import { EventedVolumeService } from './volume-events.js';
import { EventedRegistryClient } from './registry/evented-registry.js';
import { DEFAULT_LIMITS, LAYER_NAMES } from './config.js';
import { addLayerService, buildLayer, buildLayers, layerPaths } from './layers.js';
import { MirroredContainerStore } from './state/mirrored-store.js';
import { readTls } from './listeners.js';
import { STATE_DB_FILE, SqliteContainerStore } from './state/sqlite-store.js';
import { checkStateDatabase } from './state/state-check.js';
import { LocalSystemService } from './system.js';
import { buildPlugins } from './plugins.js';
import type { PluginRegistry } from '@tscr/plugins/local';
import { addPluginsService } from '@tscr/plugins/grpc';
import { AuthzChain } from './authz/chain.js';
import { LazyBuilder } from './lazy-builder.js';
import { isUnixAddress, listenLazily } from './lazy-door.js';
import { addLazyService, LAZY_SERVICES } from './lazy-service.js';

/** The pod sandbox image when the config names none (pulled on first use, through the mirrors). */
export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';

/** A running daemon (or a lone layer server). */
export interface Daemon {
  /** The grpc-js server every service is registered on. */
  server: Server;
  /** The address it listens on, e.g. `unix:///run/tscr/tscr.sock`. */
  address: string;
  /** Stops serving and releases the layers; containers keep running. */
  close(): Promise<void>;
}

/** What `composeDaemon` exposes beyond {@link Daemon}, for embedding and tests. */
export interface ComposedDaemon extends Daemon {
  containers: LocalContainerService;
  events: EventBus;
  /** The one registry of Docker plugins (volume, network, IPAM, authz drivers). */
  plugins: PluginRegistry;
  /** Where the Docker Engine API listens, when it is served. */
  dockerAddress?: string;
  /** Where the Kubernetes CRI listens, when it is served. */
  criAddress?: string;
}

/** Options of {@link composeDaemon} and {@link serveLayer}. */
export interface ComposeOptions {
  /** Where background problems are reported; default `console.error`. */
  logger?: (message: string) => void;
}

/** True for a TCP address (`tcp://…` or `host:port`), false for a UNIX socket. */
function isTcp(address: string): boolean {
  const a = address.trim();
  return !(a.startsWith('unix://') || a.startsWith('/'));
}

/** Stops accepting calls; calls still running get a few seconds before they are cut. */
function shutdownServer(server: Server, graceMs = 3000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Builds the daemon from `config`: each layer local or remote, the event
 * bus, the state database, the container and system services; registers
 * every gRPC service on one server; reconciles containers with the runtime
 * (`recover`); then listens on `config.host`.
 */
export async function composeDaemon(config: DaemonConfig, opts: ComposeOptions = {}): Promise<ComposedDaemon> {
  const logger = opts.logger ?? ((m: string) => console.error(m));
  const paths = layerPaths(config);
  await mkdir(config.root, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  // Each container's directory in a block group of its own (see spreadSubdirectories).
  await spreadSubdirectories(paths.containers);

  // This daemon's TLS identity: served on TCP listeners, and shown to other daemons (transfer targets, peers).
  const identity = config.tls && (await readTls(config.tls));
  const stateDatabase = join(config.root, STATE_DB_FILE);
  const checked = checkStateDatabase(stateDatabase);
  if (checked.status === 'corrupt') {
    logger(
      `tscrd: state database ${stateDatabase} is corrupt (${checked.reason}): moved to ${checked.movedTo}; starting a new one`,
    );
  }
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  const events = new EventBus(limits.eventQueue, { log: new SqliteEventLog(stateDatabase) });
  const peers = config.peers?.length
    ? new PeerBlobSource(config.peers, (address) => connectDaemon(address, identity))
    : undefined;
  const plugins = await buildPlugins(config, logger);
  const layers = buildLayers(config, {
    ...(peers && { blobSource: peers }),
    ...(identity && { identity }),
    volumeDrivers: plugins.volumeDrivers,
    plugins: (name, kind, opts) => plugins.registry.get(name, kind, opts),
  });
  // Prune also collects snapshots whose container is gone (store is set before any call).
  const images = new EventedImageService(layers.images.service, events, () => store.list().map((c) => c.id));
  const volumes = new EventedVolumeService(layers.volumes.service, events);
  const registry = new EventedRegistryClient(layers.registry.service, events);
  const store = new MirroredContainerStore(new SqliteContainerStore(stateDatabase), paths.containers);
  const adopted = store.adoptOrphans(logger);
  if (adopted.length > 0 || checked.status === 'corrupt') {
    logger(
      `tscrd: state database lost records: ${adopted.length} container(s) re-adopted from their directories; ` +
        'their event history and anything changed after the last copy are lost',
    );
  }
  const containers = createLocalContainerService({
    images,
    runtime: layers.runtime.service,
    networks: layers.networks.service,
    volumes,
    store,
    events,
    containersDir: paths.containers,
    defaultRuntime: config.defaultRuntime,
    readLogs,
    logger,
  });
  // Loaded on the first build (or at start when a build was interrupted): most daemons never build.
  const builder = new LazyBuilder({
    images,
    runtime: layers.runtime.service,
    stateDir: join(config.root, 'builder'),
    // FROM an image that is not here pulls it, anonymously, as `docker build` does.
    async pullImage(ref, { signal }) {
      for await (const _ of registry.pull(ref, signal ? { signal } : {})) {
        // progress is not shown in build output
      }
    },
  });
  const system = new LocalSystemService({
    containers,
    images,
    events,
    rootDir: config.root,
    stateDatabase,
    defaultRuntime: config.defaultRuntime,
    runtimes: Object.keys(DEFAULT_RUNTIMES),
    layers: LAYER_NAMES.map((layer) => ({ layer, endpoint: layers[layer].endpoint })),
    runtimeVersion: () => runtimeVersion(DEFAULT_RUNTIMES[config.defaultRuntime]).catch(() => ''),
    monitorVersion: () => monitorVersion().catch(() => ''),
  });

  const transfer = new LocalTransferService({
    // Blob access goes to the image layer itself (as pulls do); a remote image layer has none.
    ...(isPullStore(layers.images.service) && { images: layers.images.service as unknown as TransferImageStore }),
    volumes,
    connect: (address) => connectDaemon(address, identity),
  });

  // With --authorization-plugin, every call of both APIs is asked about first (see docs/authorization.md).
  const authorizer = config.authorizationPlugins?.length
    ? new AuthzChain(config.authorizationPlugins, plugins.registry)
    : undefined;
  // A message past the limit fails with RESOURCE_EXHAUSTED before any handler sees it.
  const serverOptions = { 'grpc.max_receive_message_length': limits.grpcMaxMessageBytes };
  // The authorizing server maps calls to Docker API requests (`@tscr/docker-api`): required only when used.
  const server = authorizer
    ? new (await import('./authz/grpc-server.js')).AuthorizingServer(authorizer, serverOptions)
    : new Server(serverOptions);
  addTransferService(server, transfer);
  addLayerService(server, 'images', images);
  addLayerService(server, 'runtime', layers.runtime.service);
  addLayerService(server, 'networks', layers.networks.service);
  addLayerService(server, 'volumes', volumes);
  addLayerService(server, 'registry', registry);
  addLazyService(server, LAZY_SERVICES.containers, (s) => addContainerService(s, containers));
  addSystemService(server, system);
  addLazyService(server, LAZY_SERVICES.plugins, (s) => addPluginsService(s, plugins.registry));
  addLazyService(server, LAZY_SERVICES.builder, (s) =>
    addBuilderService(s, builder, { spoolDir: join(config.root, 'builder', 'uploads') }),
  );

  const release = () => {
    containers.close();
    for (const name of LAYER_NAMES) layers[name].close();
    peers?.close();
    store.close();
    events.close();
  };
  let address = '';
  let dockerApi: DockerApiServer | undefined;
  let cri: { address: string; close(): Promise<void> } | undefined;
  try {
    // The network layer creates the default bridge and reconciles host objects on its first call.
    await layers.networks.service.list();
    // The image and volume layers drop what a crash left (pull scratch, orphan blobs, half-made volumes) on their first call.
    await Promise.all([images.list(), volumes.list()]);
    // Containers and the leftovers of interrupted builds (disjoint: `build-…` tasks) are recovered side by side.
    await Promise.all([containers.recover(), builder.recover()]);
    for (const host of config.hosts ?? [config.host]) {
      const bound = await listen(server, host, {
        ...(identity && isTcp(host) && { tls: identity }),
        firstCallTimeoutMs: limits.grpcFirstCallTimeoutMs,
      });
      address ||= bound;
    }
    // The Docker Engine API: a second front door over the same services.
    // It and the CRI are required only when served (--no-docker-api, --no-cri): then their code is never loaded.
    if (config.dockerHost) {
      const backends = {
        containers,
        images,
        registry,
        volumes,
        networks: layers.networks.service,
        system,
        builder,
        plugins: plugins.registry,
      };
      const dockerOptions = {
        logger,
        maxJsonBody: limits.dockerMaxJsonBody,
        headersTimeoutMs: limits.headersTimeoutMs,
        bodyTimeoutMs: limits.bodyTimeoutMs,
        ...(config.dockerTls ? { tls: config.dockerTls } : {}),
        ...(authorizer && { authorizer }),
      };
      // On a UNIX socket (the default), loaded on the first connection, as the CRI below.
      dockerApi = isUnixAddress(config.dockerHost)
        ? await listenLazily(
            config.dockerHost,
            async () => (await import('@tscr/docker-api')).createDockerApiConnections(backends, dockerOptions),
            logger,
          )
        : await (await import('@tscr/docker-api')).createDockerApiServer(backends, config.dockerHost, dockerOptions);
    }
    // The Kubernetes CRI: a third front door, for kubelet and crictl. On a UNIX socket (the default) its code
    // is loaded on the first connection (see lazy-door.ts); the daemon listens on the socket from the start.
    if (config.criHost) {
      const criBackends = {
        containers,
        images,
        registry,
        networks: layers.networks.service,
        runtime: layers.runtime.service,
        events,
      };
      const criOptions = {
        sandboxImage: config.criSandboxImage ?? DEFAULT_SANDBOX_IMAGE,
        imageRoot: paths.images,
        logger,
        firstCallTimeoutMs: limits.grpcFirstCallTimeoutMs,
      };
      cri = isUnixAddress(config.criHost)
        ? await listenLazily(
            config.criHost,
            async () => (await import('@tscr/cri')).createCriConnections(criBackends, criOptions),
            logger,
          )
        : await (await import('@tscr/cri')).createCriServer(criBackends, config.criHost, criOptions);
    }
  } catch (err) {
    await dockerApi?.close();
    server.forceShutdown();
    release();
    throw err;
  }
  return {
    server,
    address,
    containers,
    events,
    plugins: plugins.registry,
    ...(dockerApi ? { dockerAddress: dockerApi.address } : {}),
    ...(cri ? { criAddress: cri.address } : {}),
    async close() {
      await cri?.close();
      await dockerApi?.close();
      await shutdownServer(server);
      await layers.networks.shutdown?.().catch((err: unknown) => logger(`network shutdown: ${(err as Error).message}`));
      await layers.runtime.shutdown?.().catch((err: unknown) => logger(`runtime shutdown: ${(err as Error).message}`));
      await containers.settled().catch((err: unknown) => logger(`container shutdown: ${(err as Error).message}`));
      await layers.images.shutdown?.().catch((err: unknown) => logger(`image shutdown: ${(err as Error).message}`));
      release();
    },
  };
}

/**
 * Serves one layer alone (always its local implementation) on `address`,
 * for setups where the daemon reaches that layer over gRPC.
 */
export async function serveLayer(layer: LayerName, address: string, config: DaemonConfig): Promise<Daemon> {
  const built = buildLayer({ ...config, layers: { ...config.layers, [layer]: 'local' } }, layer);
  const server = new Server();
  addLayerService(server, layer, built.service);
  let bound: string;
  try {
    const tls = config.tls && isTcp(address) ? await readTls(config.tls) : undefined;
    const { grpcFirstCallTimeoutMs } = { ...DEFAULT_LIMITS, ...config.limits };
    bound = await listen(server, address, { ...(tls && { tls }), firstCallTimeoutMs: grpcFirstCallTimeoutMs });
  } catch (err) {
    server.forceShutdown();
    built.close();
    throw err;
  }
  return {
    server,
    address: bound,
    async close() {
      await shutdownServer(server);
      // Removals finished behind the calls (the runtime's and the image layer's trash) end first.
      if (layer === 'runtime' || layer === 'images') {
        await built.shutdown?.().catch((err: unknown) => console.error(`${layer} shutdown: ${(err as Error).message}`));
      }
      built.close();
    },
  };
}
