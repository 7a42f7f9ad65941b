/**
 * What the Docker Engine API front door is built from: the same layer
 * interfaces the daemon's gRPC API serves. Nothing here is a wire type;
 * the Docker JSON shapes live in `convert/`.
 */
import type { Socket } from 'node:net';
import type { BuilderService } from '@tscr/builder';
import type { ContainerService } from '@tscr/container';
import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { RegistryService } from '@tscr/registry-client/grpc';
import type { VolumeService } from '@tscr/volume';
import type { PluginInspector } from '@tscr/plugins';
import type { CallOptions, SystemInfo, SystemService, VersionInfo } from '@tscr/api';

export type { CallOptions };

/** `GET /version`: the daemon's version report (the System service's type, from `@tscr/api`). */
export type EngineVersion = VersionInfo;

/** `GET /info`: the daemon's `info` (the System service's type, from `@tscr/api`). */
export type EngineInfo = SystemInfo;

/** The daemon itself: the part of the System service (`@tscr/api`) the Docker API uses. */
export type SystemBackend = Pick<SystemService, 'version' | 'info' | 'events'>;

/** The layers the Docker API maps onto; the daemon passes the ones its gRPC API serves. */
export interface DockerApiBackends {
  containers: ContainerService;
  images: ImageService;
  /** Pull, push and login, honouring per-request credentials (`X-Registry-Auth`). */
  registry: RegistryService;
  volumes: VolumeService;
  networks: NetworkService;
  system: SystemBackend;
  /** `POST /build`; without it the endpoint answers 501. */
  builder?: BuilderService;
  /** `GET /plugins`, `GET /plugins/{name}/json`; without it no plugins are listed. */
  plugins?: PluginInspector;
}

/** What an authorizer learns about a request (the fields dockerd sends to `AuthZPlugin.AuthZReq`). */
export interface AuthzRequest {
  /** The client's identity: the common name of its TLS certificate; empty on a UNIX socket. */
  user: string;
  /** How `user` was established: `TLS`, or empty. */
  userAuthNMethod: string;
  /** `GET`, `POST`, … */
  requestMethod: string;
  /** The request URI as the client sent it, version prefix and query included (`/v1.47/containers/create?name=x`). */
  requestUri: string;
  /** Request headers, canonical names, one value each; credentials (`Authorization`, `X-Registry-Auth`, `X-Registry-Config`) left out. */
  requestHeaders: Record<string, string>;
  /** The body, only for a JSON body under 1 MiB (and never for `…/auth`). */
  requestBody?: Uint8Array;
  /** DER bytes of the client's TLS certificate, when it showed one (dockerd's `RequestPeerCertificates`). */
  peerCertificates?: Uint8Array[];
}

/** What an authorizer learns about a buffered answer (the extra fields of `AuthZPlugin.AuthZRes`). */
export interface AuthzResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** The body, only when it is JSON. */
  body?: Uint8Array;
}

/**
 * Decides whether a request may run and whether its answer may be sent.
 * Both calls throw to refuse: PermissionDenied with dockerd's text
 * (`authorization denied by plugin NAME: MSG`), and for a plugin that is down
 * or answers garbage a clear error too (fail closed).
 */
export interface Authorizer {
  authorizeRequest(req: AuthzRequest, opts?: CallOptions): Promise<void>;
  authorizeResponse(req: AuthzRequest, res: AuthzResponse, opts?: CallOptions): Promise<void>;
}

/** Server certificate, key and the CA that client certificates must chain to (mutual TLS). */
export interface DockerApiTls {
  /** PEM file paths. */
  cert: string;
  key: string;
  ca: string;
}

/** Options of {@link createDockerApiServer}. */
export interface DockerApiOptions {
  /** Where background problems are reported; default `console.error`. */
  logger?: (message: string) => void;
  /** Largest JSON request body accepted, in bytes (default 4 MiB); larger ones get 413. */
  maxJsonBody?: number;
  /** Time a client has to send a request's headers, in ms (default 60 s); then the connection is closed. */
  headersTimeoutMs?: number;
  /** Time a client has to send a JSON request body, in ms (default 60 s); then 408. Streamed uploads have none. */
  bodyTimeoutMs?: number;
  /** Required for TCP addresses; the server refuses TCP without it. */
  tls?: DockerApiTls;
  /**
   * Checks every request (and every buffered answer) before it runs or leaves, as dockerd's
   * `--authorization-plugin` chain does; a refusal reaches the client as 403 with the plugin's message.
   */
  authorizer?: Authorizer;
  /** Reported by `GET /info` as `ID` and used in `Name` when the system service has none. */
  daemonId?: string;
}

/** The API serving connections its owner accepts (see `createDockerApiConnections`). */
export interface DockerApiConnections {
  /** Serves one accepted connection (a UNIX socket's, possibly accepted paused). */
  accept(connection: Socket): void;
  /** Ends every connection and open stream. */
  close(): Promise<void>;
}

/** A listening Docker API server. */
export interface DockerApiServer {
  /** `unix:///path` or `tcp://host:port` (with the bound port). */
  address: string;
  /** Stops accepting connections and ends open streams. */
  close(): Promise<void>;
}
