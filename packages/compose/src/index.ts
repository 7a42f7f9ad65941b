/**
 * @tscr/compose — compose files loaded as docker compose v2 reads them
 * ({@link loadProject}), and a project handle that converges them through
 * the layer clients, so it drives any tscr daemon, local or remote.
 */
export { loadProject, normalizeProjectName } from './loader/load.js';
export type { LoadOptions } from './loader/load.js';
export { configObject, formatConfig } from './loader/output.js';
export { dependencies, emptyModel } from './loader/finalise.js';
export { substitute } from './loader/interpolate.js';
export { shellSplit, parseDuration, parseBytes } from './loader/syntax.js';
export { parseDotenv } from './loader/dotenv.js';
export { formatPath } from './loader/source.js';
export { SERVICE_KEYS, UNSUPPORTED_SERVICE_KEYS } from './loader/service.js';
export type {
  ComposeModel,
  ServiceConfig,
  BuildConfig,
  PortConfig,
  ServiceVolumeConfig,
  ServiceNetworkConfig,
  DependsOnConfig,
  HealthcheckConfig,
  ServiceFileRef,
  DeployConfig,
  NetworkConfig,
  VolumeConfig,
  FileObjectConfig,
} from './model.js';
export { ComposeProject } from './engine/project.js';
export type { DownOptions, ProgressOptions, RunOptions } from './engine/project.js';
export type { UpOptions, UpResult } from './engine/up.js';
export type { ImagePolicy } from './engine/resources.js';
export { progressStream } from './engine/progress.js';
export { listProjects } from './engine/project-containers.js';
export type { Found } from './engine/project-containers.js';
export type { ServiceLogEntry } from './engine/observe.js';
export {
  LABEL,
  COMPOSE_VERSION,
  configHash,
  containerName,
  oneoffName,
  builtImageName,
  containerLabels,
} from './engine/labels.js';
export { createRequest, primaryNetwork } from './engine/convert.js';
export { contextTar } from './engine/build.js';
export type {
  CallOptions,
  ComposeClients,
  ProgressEvent,
  ProgressSink,
  ProgressState,
  ProjectContainer,
} from './engine/types.js';
