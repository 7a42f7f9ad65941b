/**
 * Every gRPC method of tscrd as the Docker API request that does the same
 * thing, so one authorization plugin guards both front doors. The tables are
 * per service (`map-containers.ts`, `map-layers.ts`); the compiler holds each
 * to every method of its service. A method in no table (a service added
 * later) is shown as `POST /grpc/<package.Service>/<Method>`: still asked,
 * never let through unasked.
 */
import { MAX_API_VERSION } from '@tscr/docker-api';
import {
  builderV1,
  containersV1,
  imagesV1,
  networkV1,
  pluginsV1,
  registryV1,
  runtimeV1,
  systemV1,
  transferV1,
  volumeV1,
} from '@tscr/api/grpc';
import { type DockerEquivalent, requestUri } from './docker-path.js';
import { builderMap, containersMap, systemMap } from './map-containers.js';
import { imagesMap, networksMap, pluginsMap, registryMap, runtimeMap, transferMap, volumesMap } from './map-layers.js';

export type { DockerEquivalent } from './docker-path.js';

type Mapper = (req: unknown) => DockerEquivalent;

/** Joins a service definition (method → `{path}`) with its table (method → mapper). */
function byPath(def: Record<string, { path: string }>, map: Record<string, unknown>): [string, Mapper][] {
  return Object.entries(def).map(([method, { path }]) => [path, map[method] as Mapper]);
}

const TABLE = new Map<string, Mapper>([
  ...byPath(containersV1.ContainersService, containersMap),
  ...byPath(systemV1.SystemService, systemMap),
  ...byPath(builderV1.BuilderService, builderMap),
  ...byPath(imagesV1.ImagesService, imagesMap),
  ...byPath(networkV1.NetworksService, networksMap),
  ...byPath(volumeV1.VolumesService, volumesMap),
  ...byPath(registryV1.RegistryService, registryMap),
  ...byPath(runtimeV1.RuntimeService, runtimeMap),
  ...byPath(transferV1.TransferService, transferMap),
  ...byPath(pluginsV1.PluginsService, pluginsMap),
]);

/** The full gRPC method names the table knows (`/tscr.containers.v1.Containers/CreateContainer`, …). */
export function mappedMethods(): string[] {
  return [...TABLE.keys()];
}

/**
 * The Docker API request `grpcMethod` (a full name, as grpc-js registers it) is presented as,
 * given its request (for a method whose requests stream: the first message).
 */
export function dockerEquivalent(grpcMethod: string, request: unknown): DockerEquivalent {
  const mapper = TABLE.get(grpcMethod);
  if (!mapper) return { method: 'POST', path: `/grpc${grpcMethod}` };
  return mapper(request ?? {});
}

/** The URI a plugin sees for `eq`: Docker's newest version prefix, as the docker CLI sends it. */
export function dockerUri(eq: DockerEquivalent): string {
  return requestUri(MAX_API_VERSION, eq);
}
