/** What the project handle drives, and what it reports. */
import type { TscrEvent } from '@tscr/api';
import type { BuilderService } from '@tscr/builder';
import type { ContainerService } from '@tscr/container';
import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { RegistryAuth, RegistryService } from '@tscr/registry-client/grpc';
import type { VolumeService } from '@tscr/volume';

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * The layer clients a project uses, local or remote (gRPC), each made on
 * first use. The CLI's `Clients` has this shape.
 */
export interface ComposeClients {
  containers(): Promise<ContainerService>;
  images(): Promise<Pick<ImageService, 'get' | 'list' | 'remove' | 'tag'>>;
  networks(): Promise<Pick<NetworkService, 'get' | 'list' | 'create' | 'remove'>>;
  volumes(): Promise<Pick<VolumeService, 'get' | 'list' | 'create' | 'remove'>>;
  /** Pulls and pushes; absent: a missing image is an error. */
  registry?(): Promise<Pick<RegistryService, 'pull' | 'push'>>;
  /** Builds; absent: a service with `build:` whose image is missing is an error. */
  builder?(): Promise<BuilderService>;
  /** Daemon events (`events`). */
  system?(): Promise<{ events(opts?: CallOptions & { types?: string[] }): AsyncIterable<TscrEvent> }>;
  /** Credentials for a registry host, when the caller has some (the CLI reads `config.json`). */
  registryAuth?(image: string): Promise<RegistryAuth | undefined>;
}

/** The state words Compose shows next to a resource. */
export type ProgressState =
  | 'Creating'
  | 'Created'
  | 'Starting'
  | 'Started'
  | 'Running'
  | 'Waiting'
  | 'Healthy'
  | 'Exited'
  | 'Recreate'
  | 'Recreated'
  | 'Stopping'
  | 'Stopped'
  | 'Killing'
  | 'Killed'
  | 'Removing'
  | 'Removed'
  | 'Restarting'
  | 'Restarted'
  | 'Pausing'
  | 'Paused'
  | 'Unpausing'
  | 'Unpaused'
  | 'Pulling'
  | 'Pulled'
  | 'Building'
  | 'Built'
  | 'Pushing'
  | 'Pushed'
  | 'Skipped'
  | 'Error';

/** One progress line: a resource and its state. */
export interface ProgressEvent {
  kind: 'Container' | 'Network' | 'Volume' | 'Image' | 'Service';
  name: string;
  state: ProgressState;
  /** The state is final for this step (`Created`, `Started`…), not under way (`Creating`…). */
  done: boolean;
  /** Milliseconds since this resource's step began. */
  elapsedMs: number;
  /** Extra text (an error's message, a pull's progress). */
  text?: string;
}

/** Receives progress events. */
export type ProgressSink = (e: ProgressEvent) => void;

/** A container of the project, as `ps` shows it. */
export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  image: string;
  command: string;
  state: string;
  status: string;
  /** `starting`, `healthy`, `unhealthy`, or empty. */
  health: string;
  exitCode: number;
  created: string;
  labels: Record<string, string>;
  /** Published ports, `127.0.0.1:8080->80/tcp`. */
  ports: { url: string; targetPort: number; publishedPort: number; protocol: string }[];
}
