import type { Server } from '@grpc/grpc-js';
import { networkV1, unaryHandler } from '@tscr/api/grpc';
import type { NetworkService } from '../types.js';
import {
  attachmentToProto,
  endpointRequestFromProto,
  endpointToProto,
  networkToProto,
  portFromProto,
} from './convert.js';

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
      network: networkToProto(await impl.get(req.name, { signal, ...(req.driverInfo && { driverInfo: true }) })),
    })),
    createNetwork: unaryHandler(async (req: networkV1.CreateNetworkRequest, { signal }) => {
      const opts = {
        signal,
        labels: req.labels,
        options: req.options,
        internal: req.internal,
        ...(req.driver && { driver: req.driver }),
        ...(req.subnet && { subnet: req.subnet }),
        ...(req.gateway && { gateway: req.gateway }),
        ...(req.ipRange && { ipRange: req.ipRange }),
        ...(req.ipamDriver && { ipamDriver: req.ipamDriver }),
        ...(Object.keys(req.ipamOptions).length > 0 && { ipamOptions: req.ipamOptions }),
      };
      return { network: networkToProto(await impl.create(req.name, opts)) };
    }),
    removeNetwork: unaryHandler(async (req: networkV1.RemoveNetworkRequest, { signal }) => {
      await impl.remove(req.name, { signal });
      return {};
    }),
    pruneNetworks: unaryHandler(async (_req: networkV1.PruneNetworksRequest, { signal }) => ({
      removed: await impl.prune({ signal }),
    })),
    attach: unaryHandler(async (req: networkV1.AttachRequest, { signal }) =>
      attachmentToProto(
        await impl.attach(req.containerId, req.networkMode, {
          signal,
          ...(req.name && { name: req.name }),
          endpoints: req.endpoints.map(endpointRequestFromProto),
          ports: req.ports.map(portFromProto),
        }),
      ),
    ),
    detach: unaryHandler(async (req: networkV1.DetachRequest, { signal }) => {
      await impl.detach(req.containerId, { signal });
      return {};
    }),
    connect: unaryHandler(async (req: networkV1.ConnectRequest, { signal }) => ({
      endpoint: endpointToProto(
        await impl.connect(req.containerId, req.network, {
          signal,
          aliases: req.aliases,
          ...(req.name && { name: req.name }),
          ...(req.ip && { ip: req.ip }),
        }),
      ),
    })),
    disconnect: unaryHandler(async (req: networkV1.DisconnectRequest, { signal }) => {
      await impl.disconnect(req.containerId, req.network, { signal });
      return {};
    }),
    getAttachment: unaryHandler(async (req: networkV1.GetAttachmentRequest, { signal }) => {
      const a = await impl.attachment(req.containerId, { signal });
      return a ? { attachment: attachmentToProto(a) } : {};
    }),
  };
}

/** Registers the network service, backed by `impl`, on `server`. */
export function addNetworkService(server: Server, impl: NetworkService): void {
  server.addService(networkV1.NetworksService, createNetworkServer(impl));
}
