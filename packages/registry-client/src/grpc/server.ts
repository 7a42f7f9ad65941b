import type { Server } from '@grpc/grpc-js';
import { registryV1, serverStreamHandler, unaryHandler } from '@tscr/api/grpc';
import type { Progress, RegistryClient } from '../types.js';
import { progressToProto, referenceToProto } from './convert.js';

async function* progressMessages(source: AsyncIterable<Progress>): AsyncGenerator<{ progress: registryV1.Progress }> {
  for await (const p of source) yield { progress: progressToProto(p) };
}

/**
 * The gRPC handlers of the `tscr.registry.v1.Registry` service, each
 * forwarding to `impl`. Errors keep their code on the wire, including
 * errors raised in the middle of a pull or push stream.
 */
export function createRegistryServer(impl: RegistryClient): registryV1.RegistryServer {
  return {
    parseReference: unaryHandler(async (req: registryV1.ParseReferenceRequest) => ({
      reference: referenceToProto(await impl.parseReference(req.ref)),
    })),
    pull: serverStreamHandler((req: registryV1.PullRequest, { signal }) =>
      progressMessages(impl.pull(req.ref, { signal })),
    ),
    push: serverStreamHandler((req: registryV1.PushRequest, { signal }) =>
      progressMessages(impl.push(req.ref, { signal })),
    ),
  };
}

/** Registers the registry service, backed by `impl`, on `server`. */
export function addRegistryService(server: Server, impl: RegistryClient): void {
  server.addService(registryV1.RegistryService, createRegistryServer(impl));
}
