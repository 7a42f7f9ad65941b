/**
 * @tscr/compose — compose files loaded as docker compose v2 reads them
 * ({@link loadProject}), and a project handle that converges them through
 * the layer clients, so it drives any tscr daemon, local or remote.
 */
export { loadProject, normalizeProjectName } from './loader/load.js';
export type { LoadOptions } from './loader/load.js';
export { configObject, formatConfig } from './loader/output.js';
export { dependencies } from './loader/finalise.js';
export { substitute } from './loader/interpolate.js';
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
