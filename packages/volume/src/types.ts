import type { MountSpec } from '@tscr/api';
import type { CallOptions } from '@tscr/api';

export type { CallOptions };

/** A named (or anonymous) volume. */
export interface Volume {
  name: string;
  driver: string;
  /** Host directory holding the data (`<root>/<name>/_data` for the local driver). */
  mountpoint: string;
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  /** Driver options it was created with (`-o key=value`). */
  options: Record<string, string>;
  /** IDs of the containers that reference it, running or not. */
  usedBy: string[];
  /** Docker's scope, `local` or `global` (a volume plug-in's Capabilities); absent: `local`. */
  scope?: string;
  /** What a volume plug-in reports about it (`VolumeDriver.Get`'s `Status`), as strings. */
  status?: Record<string, string>;
}

/** A mount ready for the runtime, plus what inspect shows about it. */
export interface ResolvedMount {
  /** OCI mount fields. */
  destination: string;
  type: string;
  source: string;
  options: string[];
  /** `bind`, `volume` or `tmpfs`. */
  mountType: string;
  /** Volume name, for volume mounts. */
  name?: string;
  rw: boolean;
}

/** Options of {@link VolumeService.create}. */
export interface CreateVolumeOptions extends CallOptions {
  /** `local` when empty. */
  driver?: string;
  labels?: Record<string, string>;
  /** Driver options; the local driver knows `type`, `device` and `o`, as Docker's does. */
  options?: Record<string, string>;
}

/** Filters of {@link VolumeService.list}, ANDed; Docker's `--filter`. */
export interface VolumeFilters {
  /** `true`: only volumes no container uses; `false`: only used ones. */
  dangling?: boolean;
  /** `key` or `key=value`; every one must match. */
  label?: string[];
  /** Substrings of the name; any one may match. */
  name?: string[];
  driver?: string[];
}

/** Options of {@link VolumeService.list}. */
export interface ListVolumesOptions extends CallOptions {
  filters?: VolumeFilters;
}

/** Options of {@link VolumeService.prune}. */
export interface PruneVolumesOptions extends CallOptions {
  /** Prune named volumes too, not only anonymous ones (Docker's `--all`). */
  all?: boolean;
  /** `key` or `key=value` labels a volume must carry to be pruned. */
  label?: string[];
}

/** What {@link VolumeService.prune} removed. */
export interface PruneResult {
  volumesDeleted: string[];
  /** Bytes freed (apparent file sizes). */
  spaceReclaimed: number;
}

/** Options of {@link VolumeService.resolveMounts}. */
export interface ResolveMountsOptions extends CallOptions {
  /**
   * The container image's layer directories, top first (an overlay's
   * `lowerdir` order). With them, new empty volumes are filled with the
   * image's content at their target (copy-up), and a file bound over a
   * directory of the image is refused.
   */
  imageLayers?: string[];
  /**
   * The container is starting (not only being created): plug-in drivers mount their volumes now
   * (`VolumeDriver.Mount` with the container ID); {@link VolumeService.unmount} undoes it when it stops.
   */
  start?: boolean;
}

/** Options of {@link VolumeService.release}. */
export interface ReleaseOptions extends CallOptions {
  /** Also remove the anonymous volumes only this container used (`rm -v`). */
  removeAnonymous?: boolean;
}

/** Volumes, and the mounts containers get. */
export interface VolumeService {
  list(opts?: ListVolumesOptions): Promise<Volume[]>;
  /** @throws NotFound. */
  get(name: string, opts?: CallOptions): Promise<Volume>;
  /** @throws AlreadyExists; InvalidArgument (name, options); NotFound for an unknown driver. */
  create(name: string, opts?: CreateVolumeOptions): Promise<Volume>;
  /** @throws NotFound; FailedPrecondition when in use (unless `force`). */
  remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void>;
  /** Removes unused volumes (anonymous only, unless `all`). */
  prune(opts?: PruneVolumesOptions): Promise<PruneResult>;
  /**
   * Validates a container's mount requests and turns them into runtime
   * mounts, creating the named and anonymous volumes they need and
   * recording that the container uses them. Validation comes first: on any
   * failure nothing is created. Anonymous volumes get a random 64-hex name
   * (returned as `name`); pass it back as the source on later calls.
   * @throws InvalidArgument (relative target, bad name or option…); NotFound (missing `--mount` bind source).
   */
  resolveMounts(containerId: string, mounts: MountSpec[], opts?: ResolveMountsOptions): Promise<ResolvedMount[]>;
  /** Forgets that `containerId` uses any volume; idempotent. */
  release(containerId: string, opts?: ReleaseOptions): Promise<void>;
  /**
   * The container stopped: undoes what {@link resolveMounts} with `start` mounted on the host for it
   * (plug-in drivers' `VolumeDriver.Unmount`). Idempotent; optional (drivers that mount nothing on the host
   * need not have it). A mount that could not be undone is kept and tried again by `release`.
   */
  unmount?(containerId: string, opts?: CallOptions): Promise<void>;
}
