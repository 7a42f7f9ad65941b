import type { MountSpec } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';
import type {
  CallOptions,
  CreateVolumeOptions,
  ListVolumesOptions,
  PruneResult,
  PruneVolumesOptions,
  ReleaseOptions,
  ResolveMountsOptions,
  ResolvedMount,
  Volume,
  VolumeService,
} from '@tscr/volume';

/**
 * A {@link VolumeService} that publishes `volume` events (`create`,
 * `destroy`, `mount`) for the changes made through it, and otherwise
 * forwards every call unchanged.
 */
export class EventedVolumeService implements VolumeService {
  constructor(
    private readonly inner: VolumeService,
    private readonly events: EventPublisher,
  ) {}

  list(opts?: ListVolumesOptions): Promise<Volume[]> {
    return this.inner.list(opts);
  }

  get(name: string, opts?: CallOptions): Promise<Volume> {
    return this.inner.get(name, opts);
  }

  async create(name: string, opts?: CreateVolumeOptions): Promise<Volume> {
    const v = await this.inner.create(name, opts);
    this.publish('create', v.name, { driver: v.driver });
    return v;
  }

  async remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void> {
    await this.inner.remove(name, opts);
    this.publish('destroy', name, {});
  }

  async prune(opts?: PruneVolumesOptions): Promise<PruneResult> {
    const r = await this.inner.prune(opts);
    for (const name of r.volumesDeleted) this.publish('destroy', name, {});
    return r;
  }

  async resolveMounts(containerId: string, mounts: MountSpec[], opts?: ResolveMountsOptions): Promise<ResolvedMount[]> {
    const resolved = await this.inner.resolveMounts(containerId, mounts, opts);
    for (const m of resolved) {
      if (m.mountType !== 'volume' || !m.name) continue;
      this.publish('mount', m.name, { container: containerId, destination: m.destination, 'read/write': String(m.rw) });
    }
    return resolved;
  }

  release(containerId: string, opts?: ReleaseOptions): Promise<void> {
    return this.inner.release(containerId, opts);
  }

  async unmount(containerId: string, opts?: CallOptions): Promise<void> {
    await this.inner.unmount?.(containerId, opts);
  }

  private publish(action: string, id: string, attributes: Record<string, string>): void {
    this.events.publish({ type: 'volume', action, id, attributes });
  }
}
