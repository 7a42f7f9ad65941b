import type { MountSpec } from '@tscr/api';

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A named volume. */
export interface Volume {
  name: string;
  driver: string;
  mountpoint: string;
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
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
  driver?: string;
  labels?: Record<string, string>;
}

/** Volumes, and the mounts containers get. */
export interface VolumeService {
  list(opts?: CallOptions): Promise<Volume[]>;
  /** @throws NotFound. */
  get(name: string, opts?: CallOptions): Promise<Volume>;
  /** @throws AlreadyExists; InvalidArgument; Unimplemented for what is not built yet. */
  create(name: string, opts?: CreateVolumeOptions): Promise<Volume>;
  /** @throws NotFound; FailedPrecondition when in use. */
  remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void>;
  /**
   * Validates a container's mount requests and turns them into runtime mounts.
   * @throws InvalidArgument (relative target, missing bind source…); Unimplemented for kinds not built yet.
   */
  resolveMounts(containerId: string, mounts: MountSpec[], opts?: CallOptions): Promise<ResolvedMount[]>;
}
