import type { Server } from '@grpc/grpc-js';
import { unimplemented } from '@tscr/api';
import { registryV1, serverStreamHandler, unaryHandler } from '@tscr/api/grpc';
import type { Progress, RegistryClient } from '../types.js';
import { authFromProto, platformFromProto, progressToProto, referenceToProto } from './convert.js';
import { canListTags, canLogin, type RegistryRequestOptions } from './options.js';

async function* progressMessages(source: AsyncIterable<Progress>): AsyncGenerator<{ progress: registryV1.Progress }> {
  for await (const p of source) yield { progress: progressToProto(p) };
}

/**
 * The gRPC handlers of the `tscr.registry.v1.Registry` service, each
 * forwarding to `impl`. Pull and push pass the request's credentials and
 * platform as {@link RegistryRequestOptions}; Login needs an `impl` with
 * `login` (else Unimplemented). Errors keep their code on the wire, including
 * errors raised in the middle of a pull or push stream.
 */
export function createRegistryServer(impl: RegistryClient): registryV1.RegistryServer {
  return {
    parseReference: unaryHandler(async (req: registryV1.ParseReferenceRequest) => ({
      reference: referenceToProto(await impl.parseReference(req.ref)),
    })),
    pull: serverStreamHandler((req: registryV1.PullRequest, { signal }) => {
      const opts: RegistryRequestOptions = { signal };
      const auth = authFromProto(req.auth);
      const platform = platformFromProto(req.platform);
      if (auth) opts.auth = auth;
      if (platform) opts.platform = platform;
      return progressMessages(impl.pull(req.ref, opts));
    }),
    push: serverStreamHandler((req: registryV1.PushRequest, { signal }) => {
      const opts: RegistryRequestOptions = { signal };
      const auth = authFromProto(req.auth);
      if (auth) opts.auth = auth;
      return progressMessages(impl.push(req.ref, opts));
    }),
    listTags: unaryHandler(async (req: registryV1.ListTagsRequest, { signal }) => {
      if (!canListTags(impl)) throw unimplemented('registry tag listing');
      const opts: RegistryRequestOptions = { signal };
      const auth = authFromProto(req.auth);
      if (auth) opts.auth = auth;
      return { tags: await impl.listTags(req.repository, opts) };
    }),
    login: unaryHandler(async (req: registryV1.LoginRequest, { signal }) => {
      if (!canLogin(impl)) throw unimplemented('registry login');
      const r = await impl.login(req.registry, { username: req.username, password: req.password }, { signal });
      return { status: r.status, identityToken: r.identityToken ?? '' };
    }),
  };
}

/** Registers the registry service, backed by `impl`, on `server`. */
export function addRegistryService(server: Server, impl: RegistryClient): void {
  server.addService(registryV1.RegistryService, createRegistryServer(impl));
}
