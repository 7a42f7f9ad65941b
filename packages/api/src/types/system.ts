/**
 * The daemon's own service (`tscr version`, `info`, `events`): its types live here, with the
 * gRPC client and server in `@tscr/api/grpc`, so clients (the CLI, the Docker API) need not
 * depend on `@tscr/daemon`.
 */
import type { CallOptions } from './call.js';
import type { TscrEvent } from './event.js';

/** `tscr version`. */
export interface VersionInfo {
  version: string;
  apiVersion: string;
  nodeVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
  /** Default OCI runtime name and its version line. */
  runtime: string;
  runtimeVersion: string;
  /** The per-container monitor (conmon) and its version. */
  monitor: string;
  monitorVersion: string;
}

/** `tscr info`. */
export interface SystemInfo {
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
  rootDir: string;
  storageDriver: string;
  defaultRuntime: string;
  runtimes: string[];
  /** `1` (incl. hybrid) or `2`. */
  cgroupVersion: string;
  kernelVersion: string;
  operatingSystem: string;
  ncpu: number;
  memTotal: number;
  name: string;
  serverVersion: string;
  /** Where each layer is served from: `local` or a gRPC address. */
  layers: { layer: string; endpoint: string }[];
  stateDatabase: string;
}

/** Options of {@link SystemService.events}. */
export interface EventsOptions extends CallOptions {
  /** Only events of these types (`container`, `image`…); empty or absent means all. */
  types?: string[];
  /**
   * Replay recorded events from this time on, then continue live: RFC 3339,
   * Unix seconds (`1700000000.5`) or a duration back from now (`10m`).
   */
  since?: string;
  /** End the stream once this time has passed (same forms as `since`). */
  until?: string;
  /**
   * Docker's filters: `type`, `event`, `container` (ID or name), `image`,
   * `label` (`k` or `k=v`), `volume`, `network`. Values of one key are
   * ORed, keys ANDed. @throws InvalidArgument for an unknown key.
   */
  filters?: Record<string, string[]>;
  /**
   * Called once the subscription is in place (over gRPC: once the server
   * says so); events published after this are not missed.
   */
  onSubscribed?: () => void;
}

/** The daemon itself. */
export interface SystemService {
  /** Resolves when the daemon answers. @throws Unavailable. */
  ping(opts?: CallOptions): Promise<void>;
  version(opts?: CallOptions): Promise<VersionInfo>;
  info(opts?: CallOptions): Promise<SystemInfo>;
  /** Live events from now on, optionally only of some `types` (`container`, `image`…). */
  events(opts?: EventsOptions): AsyncIterable<TscrEvent>;
}
