/**
 * The normalised compose model: what the loader returns after reading,
 * interpolating, merging and validating the files. Field names are the
 * Compose Specification's (snake_case), so `config` prints the model as is;
 * every short syntax has become its long form, paths are absolute.
 */

/** `build:` of a service. */
export interface BuildConfig {
  /** Absolute directory of the build context. */
  context: string;
  /** Path of the Dockerfile inside the context (default `Dockerfile`). */
  dockerfile?: string;
  /** The Dockerfile's text, when given inline. */
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  no_cache?: boolean;
  /** Always pull the base image (the builder pulls a missing base image anyway). */
  pull?: boolean;
}

/** A published port in long syntax. */
export interface PortConfig {
  mode: 'ingress' | 'host';
  host_ip?: string;
  target: number;
  /** A host port or range (`8080`, `8080-8081`); absent: a free port. */
  published?: string;
  protocol: 'tcp' | 'udp';
}

/** A mount in long syntax. */
export interface ServiceVolumeConfig {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume key (of the top-level `volumes`), absolute host path, or absent (anonymous volume, tmpfs). */
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number };
}

/** A service's place on one network. */
export interface ServiceNetworkConfig {
  aliases?: string[];
  ipv4_address?: string;
  priority?: number;
}

/** One `depends_on` entry. */
export interface DependsOnConfig {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  /** Restart this service when the dependency is updated. */
  restart?: boolean;
  /** False: a missing or disabled dependency is only a warning. */
  required: boolean;
}

/** `healthcheck:`; durations in Go's notation (`5s`, `1m30s`). */
export interface HealthcheckConfig {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  disable?: boolean;
}

/** A secret or config a service uses. */
export interface ServiceFileRef {
  source: string;
  /** Where it is mounted; default `/run/secrets/<source>` (secrets) or `/<source>` (configs). */
  target?: string;
}

/** `deploy:` — the parts a single engine can honour. */
export interface DeployConfig {
  replicas?: number;
  resources?: {
    limits?: { cpus?: string; memory?: number; pids?: number };
    reservations?: { cpus?: string; memory?: number };
  };
}

/** One service, normalised. */
export interface ServiceConfig {
  name: string;
  profiles?: string[];
  image?: string;
  build?: BuildConfig;
  pull_policy?: 'always' | 'never' | 'missing' | 'build' | 'if_not_present';
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** `null` for a name listed without a value that is unset. */
  environment?: Record<string, string | null>;
  working_dir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  container_name?: string;
  labels?: Record<string, string>;
  ports?: PortConfig[];
  expose?: string[];
  volumes?: ServiceVolumeConfig[];
  volumes_from?: string[];
  tmpfs?: string[];
  networks?: Record<string, ServiceNetworkConfig | null>;
  network_mode?: string;
  depends_on?: Record<string, DependsOnConfig>;
  healthcheck?: HealthcheckConfig;
  restart?: string;
  deploy?: DeployConfig;
  scale?: number;
  stop_signal?: string;
  stop_grace_period?: string;
  init?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  read_only?: boolean;
  security_opt?: string[];
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  sysctls?: Record<string, string>;
  devices?: string[];
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  logging?: { driver?: string; options?: Record<string, string> };
  shm_size?: number;
  group_add?: string[];
  secrets?: ServiceFileRef[];
  configs?: ServiceFileRef[];
  platform?: string;
}

/** A top-level network. */
export interface NetworkConfig {
  /** The name on the daemon (`PROJECT_KEY` unless given or external). */
  name: string;
  driver?: string;
  internal?: boolean;
  ipam?: { driver?: string; config?: { subnet?: string; gateway?: string; ip_range?: string }[] };
  labels?: Record<string, string>;
  driver_opts?: Record<string, string>;
  external?: boolean;
}

/** A top-level volume. */
export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  labels?: Record<string, string>;
  external?: boolean;
}

/** A top-level secret or config: a file, an environment variable, or inline content (configs). */
export interface FileObjectConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
}

/** The whole project, normalised. */
export interface ComposeModel {
  /** Project name, normalised. */
  name: string;
  /** The project directory (absolute). */
  workingDir: string;
  /** The files read, absolute (`-` for stdin). */
  configFiles: string[];
  /** The `.env`/`--env-file` files read. */
  environmentFiles: string[];
  /** Enabled services (active profiles). */
  services: Record<string, ServiceConfig>;
  /** Services whose profiles are not active: started only when named (or needed by a named one). */
  disabled: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
  /** The active profiles. */
  profiles: string[];
  /** Every profile any service names. */
  allProfiles: string[];
  /** Warnings collected while loading (e.g. an unset variable). */
  warnings: string[];
  /** Top-level `x-*` extension fields (printed by `config`). */
  extensions: Record<string, unknown>;
  /** The variables interpolation used (shell over `.env`): environment-sourced secrets read them. */
  env: Record<string, string | undefined>;
}
