import type { ContainerStats, ContainerTop, FilesystemChange, PathStat, Resources } from '@tscr/api';
import type { CallOptions } from '@tscr/api';

/** Options of {@link ContainerControl.connectNetwork}. */
export interface ConnectNetworkOptions extends CallOptions {
  aliases?: string[];
  /** A fixed IPv4 address on that network. */
  ip?: string;
}

/** Options of {@link ContainerControl.putArchive}. */
export interface PutArchiveOptions extends CallOptions {
  /** Refuse to replace a directory with a non-directory or the other way round (Docker's `noOverwriteDirNonDir`). */
  noOverwriteDirNonDir?: boolean;
}

/** A path's stat and its contents as a tar stream (entries named from the path's base name). */
export interface ArchiveResult {
  stat: PathStat;
  tar: AsyncIterable<Uint8Array>;
}

/**
 * Day-to-day control of containers: limits, pause, restart, rename,
 * processes, resource samples, and the container's filesystem (diff, export,
 * copy in and out). Part of {@link ContainerService}.
 */
export interface ContainerControl {
  /**
   * Changes limits; applied at once when running, and kept for later starts.
   * @throws NotFound; InvalidArgument for bad limits.
   */
  update(id: string, resources: Resources, opts?: CallOptions): Promise<{ warnings: string[] }>;
  /** Freezes every process. @throws NotFound; FailedPrecondition when not running or already paused. */
  pause(id: string, opts?: CallOptions): Promise<void>;
  /** @throws NotFound; FailedPrecondition when not paused. */
  unpause(id: string, opts?: CallOptions): Promise<void>;
  /** Stops it (stop signal, SIGKILL after `timeout` seconds) if running, then starts it. */
  restart(id: string, opts?: CallOptions & { timeout?: number }): Promise<void>;
  /** @throws NotFound; AlreadyExists when the name is taken; InvalidArgument for a bad name. */
  rename(id: string, newName: string, opts?: CallOptions): Promise<void>;
  /**
   * Connects it to one more network, kept in its configuration: a running
   * container gets the endpoint at once, a stopped one at its next start.
   * @throws NotFound (container or network); FailedPrecondition when already
   * connected or its network mode has no namespace of its own (host, none,
   * container:); InvalidArgument for a bad address.
   */
  connectNetwork(id: string, network: string, opts?: ConnectNetworkOptions): Promise<void>;
  /** Disconnects it from a network, for now and later starts. @throws NotFound; FailedPrecondition when not connected. */
  disconnectNetwork(id: string, network: string, opts?: CallOptions): Promise<void>;
  /**
   * Its processes as `ps` would print them; `psArgs` as ps takes them
   * (default `-ef`). @throws FailedPrecondition when not running; InvalidArgument.
   */
  top(id: string, opts?: CallOptions & { psArgs?: string[] }): Promise<ContainerTop>;
  /**
   * Resource samples: one a second until aborted or the container stops; one
   * only with `stream: false` (CPU % then comes from two reads 100 ms apart).
   * @throws FailedPrecondition when not running.
   */
  stats(id: string, opts?: CallOptions & { stream?: boolean }): AsyncIterable<ContainerStats>;
  /** What changed in its writable layer, sorted by path. */
  changes(id: string, opts?: CallOptions): Promise<FilesystemChange[]>;
  /** Its whole filesystem as a tar stream (running or not; volumes excluded). */
  export(id: string, opts?: CallOptions): AsyncIterable<Uint8Array>;
  /**
   * Stat of `path` inside the container; symlinks inside the path are
   * resolved within its root, the last component is not followed.
   * @throws NotFound; InvalidArgument for a relative path.
   */
  statPath(id: string, path: string, opts?: CallOptions): Promise<PathStat>;
  /** `path` (file or directory) as a tar stream. @throws NotFound. */
  getArchive(id: string, path: string, opts?: CallOptions): Promise<ArchiveResult>;
  /**
   * Extracts a tar stream into the directory `path`, keeping modes and
   * owners. @throws NotFound when `path` is missing; FailedPrecondition when
   * it is not a directory or the root is read-only; InvalidArgument for
   * entries that would escape.
   */
  putArchive(id: string, path: string, tar: AsyncIterable<Uint8Array>, opts?: PutArchiveOptions): Promise<void>;
}
