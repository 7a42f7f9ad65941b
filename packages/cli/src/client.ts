import { DEFAULT_SOCKET } from '@tscr/api';
import type { DaemonAddress } from '@tscr/api/grpc';
import type { ContainerService } from '@tscr/container';
import type { SystemService } from '@tscr/api';
import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { RegistryService } from '@tscr/registry-client/grpc';
import type { VolumeService } from '@tscr/volume';
import type { PluginInspector } from '@tscr/plugins';
import { mark } from './startup-trace.js';

/** The daemon address used when neither `--host` nor `TSCR_HOST` is given. */
export const DEFAULT_HOST = `unix://${DEFAULT_SOCKET}`;

/**
 * The daemon's services as one command needs them. Each getter creates its
 * client on first use, so a command loads and connects only what it calls.
 */
export interface Clients {
  containers(): Promise<ContainerService>;
  images(): Promise<ImageService>;
  /** Pulls, pushes and logins go through the daemon's registry layer. */
  registry(): Promise<RegistryService>;
  system(): Promise<SystemService>;
  volumes(): Promise<VolumeService>;
  /** Networks: the daemon's network layer (connect/disconnect take container IDs). */
  networks(): Promise<NetworkService>;
  /** The daemon's Docker plugins (`tscr plugin ls`); optional for clients made elsewhere. */
  plugins?(): Promise<PluginInspector>;
  /** Closes every client created so far. Idempotent. */
  close(): void;
}

/** The client classes (and grpc-js with them), loaded on first use. */
export const grpcClients = () => import('./grpc-clients.js');

interface Closable {
  close?(): void;
}

function lazy<T extends Closable>(make: () => Promise<T>, made: Closable[]): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= make().then((c) => {
      mark(`gRPC client made: ${c.constructor.name}`);
      made.push(c);
      return c;
    });
    return p;
  };
}

/**
 * gRPC clients of `tscrd` at `host` (`unix:///path`, `/path`, `tcp://host:port`, or a target with TLS).
 * Each client's module (and its layer's generated messages) loads on the first call of its getter: in the
 * bin's bundle, each `import()` of a layer's "./grpc" entry evaluates only the client class it names
 * (see tsup.slim-grpc.ts), so `tscr ps` loads the containers client, not the images', networks'…
 */
export function createGrpcClients(host: DaemonAddress): Clients {
  const made: Closable[] = [];
  return {
    containers: lazy(async () => new (await import('@tscr/container/grpc')).GrpcContainerService(host), made),
    images: lazy(async () => new (await import('@tscr/image/grpc')).GrpcImageService(host), made),
    registry: lazy(async () => new (await import('@tscr/registry-client/grpc')).GrpcRegistryClient(host), made),
    system: lazy(async () => new (await import('./grpc-system.js')).GrpcSystemService(host), made),
    volumes: lazy(async () => new (await import('@tscr/volume/grpc')).GrpcVolumeService(host), made),
    networks: lazy(async () => new (await import('@tscr/network/grpc')).GrpcNetworkService(host), made),
    plugins: lazy(async () => new (await import('@tscr/plugins/grpc')).GrpcPluginInspector(host), made),
    close() {
      for (const c of made.splice(0)) c.close?.();
    },
  };
}
