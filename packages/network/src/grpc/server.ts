import type { Server } from '@grpc/grpc-js';
import { networkV1, unaryHandler } from '@tscr/api/grpc';
import type { NetworkService } from '../types.js';
import { attachmentToProto, networkToProto } from './convert.js';

/**
 * The gRPC handlers of the `tscr.network.v1.Networks` service, each
 * forwarding to `impl`. Errors keep their code on the wire.
 */
export function createNetworkServer(impl: NetworkService): networkV1.NetworksServer {
  return {
    listNetworks: unaryHandler(async (_req: networkV1.ListNetworksRequest, { signal }) => ({
      networks: (await impl.list({ signal })).map(networkToProto),
    })),
    getNetwork: unaryHandler(async (req: networkV1.GetNetworkRequest, { signal }) => ({
      network: networkToProto(await impl.get(req.name, { signal })),
    })),
    createNetwork: unaryHandler(async (req: networkV1.CreateNetworkRequest, { signal }) => {
      const opts = { signal, labels: req.labels, ...(req.driver ? { driver: req.driver } : {}) };
      return { network: networkToProto(await impl.create(req.name, opts)) };
    }),
    removeNetwork: unaryHandler(async (req: networkV1.RemoveNetworkRequest, { signal }) => {
      await impl.remove(req.name, { signal });
      return {};
    }),
    attach: unaryHandler(async (req: networkV1.AttachRequest, { signal }) =>
      attachmentToProto(await impl.attach(req.containerId, req.networkMode, { signal })),
    ),
    detach: unaryHandler(async (req: networkV1.DetachRequest, { signal }) => {
      await impl.detach(req.containerId, { signal });
      return {};
    }),
  };
}

/** Registers the network service, backed by `impl`, on `server`. */
export function addNetworkService(server: Server, impl: NetworkService): void {
  server.addService(networkV1.NetworksService, createNetworkServer(impl));
}
