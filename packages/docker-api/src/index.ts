/**
 * @tscr/docker-api — the Docker Engine REST API as a second front door of
 * tscrd: the docker CLI, dockerode, testcontainers and docker-compose drive
 * the same layer interfaces the gRPC API serves. Importing it starts nothing.
 */
export type {
  Authorizer,
  AuthzRequest,
  AuthzResponse,
  CallOptions,
  DockerApiBackends,
  DockerApiConnections,
  DockerApiOptions,
  DockerApiServer,
  DockerApiTls,
  EngineInfo,
  EngineVersion,
  SystemBackend,
} from './types.js';
export { AUTHZ_MAX_BODY, authzHeaders, canonicalHeaderName, sendsBody } from './authz.js';
export { createDockerApiConnections, createDockerApiServer, DockerApi, parseAddress, splitVersion } from './server.js';
export { MAX_API_VERSION, MIN_API_VERSION } from './versions.js';
export { httpStatus, errorBody, noSuch, unsupportedOption } from './errors.js';
export { frame, parseFrames, streamContentType } from './hijack.js';
export { createRequest, isNeutral } from './convert/create.js';
export {
  containerConfigJson,
  containerInspectJson,
  containerSummaryJson,
  createBodyJson,
  hostConfigJson,
} from './convert/containers.js';
export { imageInspectJson, imageSummaryJson } from './convert/images.js';
