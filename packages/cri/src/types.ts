/**
 * What the CRI front door is built from: the layer interfaces the daemon's
 * gRPC and Docker APIs serve. Nothing here is a wire type; the CRI messages
 * appear only in the handler modules.
 */
import type { Duplex } from 'node:stream';
import type { TscrEvent } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { ImageService } from '@tscr/image';
import type { NetworkService } from '@tscr/network';
import type { Progress } from '@tscr/registry-client';
import type { TaskRuntime } from '@tscr/runtime';

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Credentials of one pull (CRI's AuthConfig). */
export interface PullAuth {
  username?: string;
  password?: string;
  identityToken?: string;
}

/** The layers the CRI maps onto. */
export interface CriBackends {
  containers: ContainerService;
  images: Pick<ImageService, 'list' | 'get' | 'remove'>;
  /** Pulls into the image store (through the daemon's mirrors), with per-request credentials. */
  registry: { pull(ref: string, opts?: CallOptions & { auth?: PullAuth }): AsyncIterable<Progress> };
  networks: Pick<NetworkService, 'get' | 'create' | 'remove'>;
  /** The task runtime under the containers: bundles, for asking a container's monitor to reopen its log. */
  runtime: Pick<TaskRuntime, 'state'>;
  /** Live container events, for GetContainerEvents. */
  events?: { subscribe(opts: { types?: string[]; signal?: AbortSignal }): AsyncIterable<TscrEvent> };
}

/** Options of {@link createCriServer}. */
export interface CriOptions {
  /** The image pod sandboxes' infra container runs (`/pause`); pulled when missing. */
  sandboxImage: string;
  /** The bridge network pods join; default `k8s-pods` (its bridge is named by the daemon's network prefix). */
  podNetwork?: string;
  /** Address of the streaming server (exec, attach, port-forward); default `127.0.0.1:0`. */
  streamAddress?: string;
  /** Reported by Version (the runtime's name and version). */
  runtimeName?: string;
  runtimeVersion?: string;
  /** Where background problems are reported; default `console.error`. */
  logger?: (message: string) => void;
  /**
   * A connection that has not opened its first call this many ms after it
   * was accepted is closed (a slow or stuck HTTP/2 preface); default: none.
   */
  firstCallTimeoutMs?: number;
}

/** A CRI server as the daemon holds it. */
export interface CriServer {
  /** Where the gRPC services listen (`unix:///…`). */
  address: string;
  /** Base URL of the streaming server. */
  streamUrl: string;
  close(): Promise<void>;
}

/** The CRI serving connections its owner accepts (see {@link createCriConnections}). */
export interface CriConnections {
  /** Base URL of the streaming server. */
  streamUrl: string;
  /** Serves one accepted connection (a socket not yet read from: `pauseOnConnect`). */
  accept(connection: Duplex): void;
  /** Ends every connection and the streaming server. */
  close(): Promise<void>;
}
