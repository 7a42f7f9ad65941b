import type { MountSpec } from '@tscr/api';
import { callUnary, clientChannel, volumeV1 } from '@tscr/api/grpc';
import type { DaemonAddress } from '@tscr/api/grpc';
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
} from '../types.js';
import { filtersToProto, mountSpecToProto, resolvedFromProto, volumeFromProto } from './convert.js';

/**
 * The volume layer over gRPC: the same {@link VolumeService} contract,
 * served by `createVolumeServer` somewhere else. Errors arrive as the
 * TscrError the server raised (NotFound stays NotFound).
 */
export class GrpcVolumeService implements VolumeService {
  private readonly client: volumeV1.VolumesClient;
  private readonly target: string;

  /** @param address `unix:///path`, `/path`, `tcp://host:port` or `host:port`. @throws InvalidArgument. */
  constructor(address: DaemonAddress) {
    const ch = clientChannel(address);
    this.target = ch.display;
    this.client = new volumeV1.VolumesClient(ch.target, ch.credentials, ch.options);
  }

  async list(opts: ListVolumesOptions = {}): Promise<Volume[]> {
    const req = filtersToProto(opts.filters);
    const res = await callUnary<volumeV1.ListVolumesResponse>(
      (cb) => this.client.listVolumes(req, cb),
      opts,
      this.target,
    );
    return res.volumes.map(volumeFromProto);
  }

  async get(name: string, opts?: CallOptions): Promise<Volume> {
    const res = await callUnary<volumeV1.GetVolumeResponse>(
      (cb) => this.client.getVolume({ name }, cb),
      opts,
      this.target,
    );
    return volumeFromProto(res.volume);
  }

  async create(name: string, opts: CreateVolumeOptions = {}): Promise<Volume> {
    const req: volumeV1.CreateVolumeRequest = {
      name,
      driver: opts.driver ?? '',
      labels: opts.labels ?? {},
      options: opts.options ?? {},
    };
    const res = await callUnary<volumeV1.CreateVolumeResponse>(
      (cb) => this.client.createVolume(req, cb),
      opts,
      this.target,
    );
    return volumeFromProto(res.volume);
  }

  async remove(name: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    const req: volumeV1.RemoveVolumeRequest = { name, force: opts.force ?? false };
    await callUnary((cb) => this.client.removeVolume(req, cb), opts, this.target);
  }

  async prune(opts: PruneVolumesOptions = {}): Promise<PruneResult> {
    const req: volumeV1.PruneVolumesRequest = { all: opts.all ?? false, label: opts.label ?? [] };
    const res = await callUnary<volumeV1.PruneVolumesResponse>(
      (cb) => this.client.pruneVolumes(req, cb),
      opts,
      this.target,
    );
    return { volumesDeleted: [...res.volumesDeleted], spaceReclaimed: res.spaceReclaimed };
  }

  async release(containerId: string, opts: ReleaseOptions = {}): Promise<void> {
    const req: volumeV1.ReleaseVolumesRequest = { containerId, removeAnonymous: opts.removeAnonymous ?? false };
    await callUnary((cb) => this.client.releaseVolumes(req, cb), opts, this.target);
  }

  async resolveMounts(
    containerId: string,
    mounts: MountSpec[],
    opts: ResolveMountsOptions = {},
  ): Promise<ResolvedMount[]> {
    const req: volumeV1.ResolveMountsRequest = {
      containerId,
      mounts: mounts.map(mountSpecToProto),
      imageLayers: opts.imageLayers ?? [],
    };
    const res = await callUnary<volumeV1.ResolveMountsResponse>(
      (cb) => this.client.resolveMounts(req, cb),
      opts,
      this.target,
    );
    return res.mounts.map(resolvedFromProto);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
