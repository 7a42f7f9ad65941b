import type { Server } from '@grpc/grpc-js';
import { unaryHandler, volumeV1 } from '@tscr/api/grpc';
import type { VolumeService } from '../types.js';
import { filtersFromProto, mountSpecFromProto, resolvedToProto, volumeToProto } from './convert.js';

/**
 * The gRPC handlers of the `tscr.volume.v1.Volumes` service, each
 * forwarding to `impl`. Errors keep their code on the wire.
 */
export function createVolumeServer(impl: VolumeService): volumeV1.VolumesServer {
  return {
    listVolumes: unaryHandler(async (req: volumeV1.ListVolumesRequest, { signal }) => ({
      volumes: (await impl.list({ signal, filters: filtersFromProto(req) })).map(volumeToProto),
    })),
    getVolume: unaryHandler(async (req: volumeV1.GetVolumeRequest, { signal }) => ({
      volume: volumeToProto(await impl.get(req.name, { signal })),
    })),
    createVolume: unaryHandler(async (req: volumeV1.CreateVolumeRequest, { signal }) => {
      const opts = { signal, labels: req.labels, options: req.options, ...(req.driver ? { driver: req.driver } : {}) };
      return { volume: volumeToProto(await impl.create(req.name, opts)) };
    }),
    removeVolume: unaryHandler(async (req: volumeV1.RemoveVolumeRequest, { signal }) => {
      await impl.remove(req.name, { signal, force: req.force });
      return {};
    }),
    resolveMounts: unaryHandler(async (req: volumeV1.ResolveMountsRequest, { signal }) => {
      const opts = { signal, ...(req.imageLayers.length > 0 && { imageLayers: req.imageLayers }) };
      const mounts = await impl.resolveMounts(req.containerId, req.mounts.map(mountSpecFromProto), opts);
      return { mounts: mounts.map(resolvedToProto) };
    }),
    pruneVolumes: unaryHandler(async (req: volumeV1.PruneVolumesRequest, { signal }) => {
      return impl.prune({ signal, all: req.all, label: req.label });
    }),
    releaseVolumes: unaryHandler(async (req: volumeV1.ReleaseVolumesRequest, { signal }) => {
      await impl.release(req.containerId, { signal, removeAnonymous: req.removeAnonymous });
      return {};
    }),
  };
}

/** Registers the volume service, backed by `impl`, on `server`. */
export function addVolumeService(server: Server, impl: VolumeService): void {
  server.addService(volumeV1.VolumesService, createVolumeServer(impl));
}
