import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { fromSystemError, invalidArgument } from '@tscr/api';
import { checkListener, tlsFlags, TLS_USAGE, type TlsFiles } from './listeners.js';
import { checkAuthzPlugins } from './authz/config.js';

/** The layers the daemon composes; each is served in process or by another process. */
export const LAYER_NAMES = ['images', 'runtime', 'networks', 'volumes', 'registry'] as const;

/** One of {@link LAYER_NAMES}. */
export type LayerName = (typeof LAYER_NAMES)[number];

/** Per layer: `local` (built in process) or the gRPC address of a process serving it. */
export type LayerEndpoints = Record<LayerName, string>;

/** Everything `tscrd` is configured with. */
export interface DaemonConfig {
  /** Where the API listens: `unix:///run/tscr/tscr.sock` (mode 0600) or `tcp://host:port`. */
  host: string;
  /** Every address the gRPC API listens on when `-H` was given more than once (`host` is the first). */
  hosts?: string[];
  /**
   * Mutual TLS (`--tlsverify`): PEM paths of the daemon's certificate and key and the CA clients must
   * chain to. Also the daemon's identity when it calls other daemons (transfer, peers, move).
   */
  tls?: TlsFiles;
  /** Allows TCP on a loopback address without TLS (`--insecure-loopback`; tests only). */
  insecureLoopback?: boolean;
  /** gRPC addresses of other daemons asked for layers by digest before the registry (`--peer`). */
  peers?: string[];
  /** Persistent state: images, container records (`tscr.db`), container directories. */
  root: string;
  /** Runtime state that does not survive a reboot: task bundles, monitor files, the pid file. */
  execRoot: string;
  /** OCI runtime containers use unless they name one. */
  defaultRuntime: string;
  /** Cgroup parent of every container's cgroup. */
  cgroupParent: string;
  layers: LayerEndpoints;
  /**
   * Authorization plugins (`--authorization-plugin`), asked in this order about every request of both
   * APIs (gRPC calls presented as their Docker API equivalents); each must allow it.
   */
  authorizationPlugins?: string[];
  /** Volume plug-in drivers: driver name → gRPC address of a process serving the volume layer. */
  volumeDrivers?: Record<string, string>;
  /**
   * Network drivers served over gRPC: driver name → address of a process serving the network layer
   * (`tscrd --network-driver NAME=ADDRESS`); `tscr network create -d NAME` goes there.
   */
  networkDrivers?: Record<string, string>;
  /**
   * tscr's own directories of Docker plugins (sockets, `.spec`, `.json`), searched after dockerd's
   * (`--plugin-dir`, repeatable). Default `<execRoot>/plugins`.
   */
  pluginDirs?: string[];
  /** False: do not look in dockerd's plugin directories (`/run/docker/plugins`, `/etc/docker/plugins`, …). */
  dockerPluginDirs?: boolean;
  /** Plugin call timing in ms (defaults as dockerd: 60 000 per call, 30 000 of retries from 1 000). */
  pluginTimeouts?: { timeoutMs?: number; retryMs?: number; retryBaseMs?: number };
  /** Registries (`host:port`) spoken to over plain HTTP; loopback registries always are. */
  insecureRegistries?: string[];
  /**
   * Where the Docker Engine API listens: `unix:///path` (mode 0600) or, with
   * `dockerTls`, `tcp://host:port`. Default `unix://<execRoot>/docker.sock`;
   * empty disables it (`--no-docker-api`).
   */
  dockerHost?: string;
  /** Mutual TLS of a TCP Docker API: PEM paths of the server cert, its key, and the CA clients must chain to. */
  dockerTls?: { cert: string; key: string; ca: string };
  /**
   * Prefix of the daemon's host network objects (bridges, veths, iptables chains), 2-6 lowercase
   * letters/digits. Default: `tscr` with the default root, else `ts` and 4 hex digits of the root's hash.
   */
  networkPrefix?: string;
  /** Address pool bridge networks take /24 subnets from; default `172.30.0.0/16`. */
  networkPool?: string;
  /** What one client may ask of the APIs (see {@link ApiLimits}); defaults in {@link DEFAULT_LIMITS}. */
  limits?: ApiLimits;
  /**
   * Bounds on what one pulled, loaded or imported layer unpacks to (uncompressed tar bytes, entries);
   * past them the pull fails with ResourceExhausted. Default 64 GiB and 4 million entries.
   */
  layerLimits?: { maxBytes?: number; maxEntries?: number };
  /**
   * Pull mirrors: registry (`docker.io`, `registry.k8s.io`, `host:port`) → mirror base URLs
   * (`https://mirror.example`, `http://127.0.0.1:5100`); the first serves every pull of
   * that registry (CRI, gRPC, Docker API). Plain HTTP only for loopback and `insecureRegistries`.
   */
  mirrors?: Record<string, string[]>;
  /**
   * Where the Kubernetes CRI (runtime.v1) is served: `unix:///path`. Default
   * `unix://<execRoot>/cri.sock`; empty disables it (`--no-cri`).
   */
  criHost?: string;
  /** The image of pod sandboxes' infra process; default `registry.k8s.io/pause:3.10`. */
  criSandboxImage?: string;
}

/** Bounds on what one client may send or hold, in the config file's `limits` object. */
export interface ApiLimits {
  /** Largest gRPC message the daemon receives, in bytes; larger calls fail with ResourceExhausted. */
  grpcMaxMessageBytes: number;
  /** Largest JSON request body of the Docker API, in bytes; larger ones get 413. */
  dockerMaxJsonBody: number;
  /** Docker API: time a client has to send a request's headers, in ms; then the connection is closed. */
  headersTimeoutMs: number;
  /** Docker API: time a client has to send a JSON request body, in ms; then 408. */
  bodyTimeoutMs: number;
  /** Events a subscriber may fall behind before it is dropped with ResourceExhausted. */
  eventQueue: number;
  /**
   * gRPC: time a new connection has to open its first call (HTTP/2 preface, settings, the call's headers),
   * in ms; then it is closed. Connections that have opened a call are never timed out by it.
   */
  grpcFirstCallTimeoutMs: number;
}

/** The default {@link ApiLimits}. */
export const DEFAULT_LIMITS: Readonly<ApiLimits> = Object.freeze({
  grpcMaxMessageBytes: 4 * 1024 * 1024,
  dockerMaxJsonBody: 4 * 1024 * 1024,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  eventQueue: 1024,
  grpcFirstCallTimeoutMs: 20_000,
});

/** The `limits` object of a config file: known keys, positive integers. @throws InvalidArgument. */
function checkLimits(value: unknown, where: string): ApiLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${where}: limits must be an object`);
  const out: ApiLimits = { ...DEFAULT_LIMITS };
  for (const [key, v] of Object.entries(value)) {
    if (!(key in DEFAULT_LIMITS))
      throw invalidArgument(
        `${where}: unknown limit ${JSON.stringify(key)} (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`,
      );
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw invalidArgument(`${where}: limits.${key} must be a positive integer`);
    out[key as keyof ApiLimits] = v;
  }
  return out;
}

/** The defaults, as dockerd's: socket under /run, state under /var/lib. */
export const DEFAULT_CONFIG: Readonly<DaemonConfig> = Object.freeze({
  host: 'unix:///run/tscr/tscr.sock',
  root: '/var/lib/tscr',
  execRoot: '/run/tscr',
  defaultRuntime: 'runc',
  cgroupParent: 'tscr',
  layers: Object.freeze({ images: 'local', runtime: 'local', networks: 'local', volumes: 'local', registry: 'local' }),
  volumeDrivers: Object.freeze({}),
  networkDrivers: Object.freeze({}),
  insecureRegistries: Object.freeze([]) as unknown as string[],
});

/** Mirrors from the config file: an object of registry → list of URLs. @throws InvalidArgument. */
function checkMirrors(value: unknown, where: string): Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${where}: mirrors must be an object of registry → [URL, ...]`);
  const out: Record<string, string[]> = {};
  for (const [registry, urls] of Object.entries(value)) {
    if (!REGISTRY_HOST.test(registry)) throw invalidArgument(`${where}: invalid registry ${JSON.stringify(registry)}`);
    if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string' || !/^https?:\/\/[^/]+\/?$/.test(u)))
      throw invalidArgument(`${where}: mirrors of ${registry} must be a list of http(s)://host[:port] URLs`);
    out[registry] = [...(urls as string[])];
  }
  return out;
}

function mirrorsOf(mirrors: Record<string, string[]>): Pick<DaemonConfig, 'mirrors'> {
  return Object.keys(mirrors).length > 0 ? { mirrors } : {};
}

/** `--registry-mirror URL` (Docker Hub's, as dockerd) and `--mirror REGISTRY=URL`, over the file's. */
function flagMirrors(
  file: Record<string, string[]> | undefined,
  hub: string[] | undefined,
  others: string[] | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = { ...file };
  const fromFlags = new Set<string>();
  const add = (registry: string, url: string) => {
    checkMirrors({ [registry]: [url] }, '--mirror');
    // Flags replace the file's mirrors of a registry; several flags for one registry add up.
    out[registry] = fromFlags.has(registry) ? [...(out[registry] ?? []), url] : [url];
    fromFlags.add(registry);
  };
  for (const url of hub ?? []) add('docker.io', url);
  for (const entry of others ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw invalidArgument(`--mirror wants REGISTRY=URL, got ${JSON.stringify(entry)}`);
    add(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

/** What the command line asks for. */
export type Command =
  | { kind: 'daemon'; config: DaemonConfig }
  | { kind: 'serve-layer'; layer: LayerName; listen: string; config: DaemonConfig }
  | { kind: 'help'; text: string };

/** `tscrd --help`. */
export const USAGE = `Usage:
  tscrd [flags]                                   run the daemon
  tscrd serve-layer LAYER --listen ADDR [flags]   serve one layer (${LAYER_NAMES.join(', ')}) alone

Flags:
  --config FILE            JSON file with any of: host, root, execRoot, defaultRuntime, cgroupParent, layers, volumeDrivers,
                           authorizationPlugins, networkDrivers, pluginDirs, dockerPluginDirs (false: skip dockerd's plugin dirs), pluginTimeouts
                           ({"timeoutMs": N, "retryMs": N, "retryBaseMs": N}),
                           insecureRegistries, networkPrefix (2-6 of [a-z0-9]; default tscr, or ts + a hash of a
                           non-default root), networkPool (default 172.30.0.0/16), limits (grpcMaxMessageBytes,
                           dockerMaxJsonBody, headersTimeoutMs, bodyTimeoutMs, eventQueue, grpcFirstCallTimeoutMs),
                           mirrors ({"registry.k8s.io": ["http://127.0.0.1:5100"]}), criHost, criSandboxImage,
                           layerLimits ({"maxBytes": N, "maxEntries": N}: what one layer may unpack to)
  -H, --host ADDR          API address, unix:///PATH or tcp://HOST:PORT; repeatable (default ${DEFAULT_CONFIG.host})
${TLS_USAGE}
  --peer ADDR              another daemon (tcp://HOST:PORT or unix://) asked for layers by digest before the
                           registry on a pull; repeatable
  --network-prefix P       prefix of host network objects (bridges, veths, iptables chains; 2-6 of [a-z0-9])
  --network-pool CIDR      pool of bridge subnets (default 172.30.0.0/16)
  --root DIR               persistent state (default ${DEFAULT_CONFIG.root})
  --exec-root DIR          runtime state (default ${DEFAULT_CONFIG.execRoot})
  --default-runtime NAME   runc or crun (default ${DEFAULT_CONFIG.defaultRuntime})
  --cgroup-parent NAME     cgroup parent of containers (default ${DEFAULT_CONFIG.cgroupParent})
  --layer LAYER=ENDPOINT   serve LAYER from ENDPOINT (local or a gRPC address); repeatable
  --network-driver NAME=ADDRESS
                           network driver NAME served over gRPC at ADDRESS (a process serving the network
                           layer, e.g. with @tscr/network/grpc); repeatable
  --volume-driver NAME=ADDRESS
                           volume driver NAME served at gRPC ADDRESS (e.g. tscrd serve-layer volumes); repeatable
  --authorization-plugin NAME
                           ask authz plugin NAME about every request of both APIs (gRPC calls as their Docker API
                           equivalents, see docs/authorization.md); repeatable, asked in order, all must allow
  --plugin-dir DIR         a directory of Docker plugins (NAME.sock, NAME.spec, NAME.json) searched after dockerd's
                           /run/docker/plugins, /etc/docker/plugins, /usr/lib/docker/plugins; repeatable
                           (default <exec-root>/plugins)
  --insecure-registry HOST:PORT
                           reach this registry over plain HTTP (loopback always is); repeatable
  --docker-host ADDR       Docker Engine API address (default unix://<exec-root>/docker.sock, i.e.
                           unix:///run/tscr/docker.sock); tcp://HOST:PORT needs the three TLS flags
  --docker-tlscert FILE, --docker-tlskey FILE, --docker-tlscacert FILE
                           mutual TLS of a TCP Docker API (clients need a cert signed by the CA)
  --no-docker-api          serve no Docker Engine API
  --registry-mirror URL    pull Docker Hub images through this mirror (as dockerd)
  --mirror REGISTRY=URL    pull REGISTRY's images through this mirror (config file: "mirrors")
  --cri-host ADDR          Kubernetes CRI address (default unix://<exec-root>/cri.sock)
  --no-cri                 serve no CRI
  --cri-sandbox-image REF  image of pod sandboxes (default registry.k8s.io/pause:3.10)
`;

/** A registry as `host`, `host:port` or `[v6]:port`, nothing more. */
const REGISTRY_HOST = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(:\d+)?$/;

function checkRegistries(value: unknown, where: string): string[] {
  if (!Array.isArray(value))
    throw invalidArgument(`${where}: insecureRegistries must be an array of host:port strings`);
  for (const r of value) {
    if (typeof r !== 'string' || !REGISTRY_HOST.test(r))
      throw invalidArgument(`${where}: invalid insecure registry ${JSON.stringify(r)} (want host:port)`);
  }
  return [...(value as string[])];
}

/** Names a volume driver may have (not `local`, which is built in). */
const DRIVER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function checkVolumeDrivers(drivers: Record<string, unknown>, where: string): Record<string, string> {
  return checkDrivers(drivers, where, 'volume', ['local']);
}

/** Driver name → gRPC address, checked. @throws InvalidArgument. */
function checkDrivers(
  drivers: Record<string, unknown>,
  where: string,
  kind: 'volume' | 'network',
  reserved: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, address] of Object.entries(drivers)) {
    if (!DRIVER_NAME.test(name) || reserved.includes(name))
      throw invalidArgument(`${where}: invalid ${kind} driver name ${JSON.stringify(name)}`);
    if (typeof address !== 'string' || address === '')
      throw invalidArgument(`${where}: ${kind} driver ${name} needs a gRPC address`);
    out[name] = address;
  }
  return out;
}

/** The network driver names the daemon keeps for itself. */
const OWN_NETWORK_DRIVERS = ['bridge', 'host', 'null', 'default'];

/** `NAME=ADDRESS` flag values → record. @throws InvalidArgument. */
function nameAddressFlags(entries: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${flag} wants NAME=ADDRESS, got ${JSON.stringify(entry)}`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function checkPluginDirs(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'string' && isAbsolute(d)))
    throw invalidArgument(`${where}: plugin directories must be absolute paths`);
  return [...value];
}

function checkPluginTimeouts(value: unknown, where: string): NonNullable<DaemonConfig['pluginTimeouts']> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${where}: pluginTimeouts must be an object`);
  const out: NonNullable<DaemonConfig['pluginTimeouts']> = {};
  for (const [key, n] of Object.entries(value)) {
    if (key !== 'timeoutMs' && key !== 'retryMs' && key !== 'retryBaseMs')
      throw invalidArgument(`${where}: unknown pluginTimeouts setting ${JSON.stringify(key)}`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
      throw invalidArgument(`${where}: pluginTimeouts.${key} must be a positive integer`);
    out[key] = n;
  }
  return out;
}

function checkLayerLimits(value: unknown, where: string): NonNullable<DaemonConfig['layerLimits']> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${where}: layerLimits must be an object`);
  const out: NonNullable<DaemonConfig['layerLimits']> = {};
  for (const [key, n] of Object.entries(value)) {
    if (key !== 'maxBytes' && key !== 'maxEntries')
      throw invalidArgument(`${where}: unknown layerLimits setting ${JSON.stringify(key)}`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0)
      throw invalidArgument(`${where}: layerLimits.${key} must be a positive integer`);
    out[key] = n;
  }
  return out;
}

function isLayer(name: string): name is LayerName {
  return (LAYER_NAMES as readonly string[]).includes(name);
}

function checkLayers(layers: Record<string, unknown>, where: string): Partial<LayerEndpoints> {
  const out: Partial<LayerEndpoints> = {};
  for (const [name, endpoint] of Object.entries(layers)) {
    if (!isLayer(name))
      throw invalidArgument(`${where}: unknown layer ${JSON.stringify(name)} (known: ${LAYER_NAMES.join(', ')})`);
    if (typeof endpoint !== 'string' || endpoint === '')
      throw invalidArgument(`${where}: layer ${name} needs "local" or an address`);
    out[name] = endpoint;
  }
  return out;
}

/**
 * Checks a parsed config file and returns its settings.
 * @throws InvalidArgument for unknown keys or wrong types.
 */
export function parseConfigFile(value: unknown, where = 'config file'): Partial<DaemonConfig> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidArgument(`${where}: want a JSON object`);
  const out: Partial<DaemonConfig> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'layers') {
      if (typeof v !== 'object' || v === null) throw invalidArgument(`${where}: layers must be an object`);
      out.layers = { ...DEFAULT_CONFIG.layers, ...checkLayers(v as Record<string, unknown>, where) };
    } else if (key === 'volumeDrivers') {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw invalidArgument(`${where}: volumeDrivers must be an object`);
      out.volumeDrivers = checkVolumeDrivers(v as Record<string, unknown>, where);
    } else if (key === 'networkDrivers') {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw invalidArgument(`${where}: networkDrivers must be an object`);
      out.networkDrivers = checkDrivers(v as Record<string, unknown>, where, 'network', OWN_NETWORK_DRIVERS);
    } else if (key === 'limits') {
      out.limits = checkLimits(v, where);
    } else if (key === 'authorizationPlugins') {
      out.authorizationPlugins = checkAuthzPlugins(v, where);
    } else if (key === 'pluginDirs') {
      out.pluginDirs = checkPluginDirs(v, where);
    } else if (key === 'dockerPluginDirs') {
      if (typeof v !== 'boolean') throw invalidArgument(`${where}: dockerPluginDirs must be true or false`);
      out.dockerPluginDirs = v;
    } else if (key === 'pluginTimeouts') {
      out.pluginTimeouts = checkPluginTimeouts(v, where);
    } else if (key === 'insecureRegistries') {
      out.insecureRegistries = checkRegistries(v, where);
    } else if (key === 'layerLimits') {
      out.layerLimits = checkLayerLimits(v, where);
    } else if (key === 'mirrors') {
      out.mirrors = checkMirrors(v, where);
    } else if (key === 'criHost' && v === '') {
      out.criHost = '';
    } else if (
      [
        'host',
        'root',
        'execRoot',
        'defaultRuntime',
        'cgroupParent',
        'networkPrefix',
        'networkPool',
        'criHost',
        'criSandboxImage',
      ].includes(key)
    ) {
      if (typeof v !== 'string' || v === '') throw invalidArgument(`${where}: ${key} must be a non-empty string`);
      (out as Record<string, string>)[key] = v;
    } else throw invalidArgument(`${where}: unknown setting ${JSON.stringify(key)}`);
  }
  return out;
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      host: { type: 'string', short: 'H', multiple: true },
      tlsverify: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      'insecure-loopback': { type: 'boolean' },
      peer: { type: 'string', multiple: true },
      'network-prefix': { type: 'string' },
      'network-pool': { type: 'string' },
      listen: { type: 'string' },
      root: { type: 'string' },
      'exec-root': { type: 'string' },
      'default-runtime': { type: 'string' },
      'cgroup-parent': { type: 'string' },
      layer: { type: 'string', multiple: true },
      'volume-driver': { type: 'string', multiple: true },
      'authorization-plugin': { type: 'string', multiple: true },
      'network-driver': { type: 'string', multiple: true },
      'plugin-dir': { type: 'string', multiple: true },
      'insecure-registry': { type: 'string', multiple: true },
      'docker-host': { type: 'string' },
      'docker-tlscert': { type: 'string' },
      'docker-tlskey': { type: 'string' },
      'docker-tlscacert': { type: 'string' },
      'no-docker-api': { type: 'boolean' },
      'registry-mirror': { type: 'string', multiple: true },
      mirror: { type: 'string', multiple: true },
      'cri-host': { type: 'string' },
      'no-cri': { type: 'boolean' },
      'cri-sandbox-image': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The Docker API is root-equivalent too: TCP only with mutual TLS. */
function checkDockerHost(config: DaemonConfig): void {
  const a = config.dockerHost?.trim() ?? '';
  if (a === '' || a.startsWith('unix://') || a.startsWith('/')) return;
  if (!config.dockerTls && config.tls) config.dockerTls = config.tls;
  if (!config.dockerTls)
    throw invalidArgument(
      `refusing to serve the Docker API on ${a} without mutual TLS: give --docker-tlscert, --docker-tlskey and --docker-tlscacert`,
      { details: { host: a } },
    );
}

/** The Docker API settings from the flags. @throws InvalidArgument for half-given TLS. */
function dockerFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  execRoot: string,
): Pick<DaemonConfig, 'dockerHost' | 'dockerTls'> {
  const tls = [values['docker-tlscert'], values['docker-tlskey'], values['docker-tlscacert']];
  if (tls.some(Boolean) && !tls.every(Boolean))
    throw invalidArgument('--docker-tlscert, --docker-tlskey and --docker-tlscacert go together');
  if (values['no-docker-api']) {
    if (values['docker-host']) throw invalidArgument('--no-docker-api and --docker-host exclude each other');
    return { dockerHost: '' };
  }
  const host = typeof values['docker-host'] === 'string' ? values['docker-host'] : `unix://${execRoot}/docker.sock`;
  const [cert, key, ca] = tls as (string | undefined)[];
  return cert && key && ca ? { dockerHost: host, dockerTls: { cert, key, ca } } : { dockerHost: host };
}

/** `--authorization-plugin`s replace the file's `authorizationPlugins` (as dockerd's flags do). */
function authzFlags(
  authz: string[] | undefined,
  file: Partial<DaemonConfig>,
): Pick<DaemonConfig, 'authorizationPlugins'> {
  const plugins = authz?.length ? checkAuthzPlugins(authz, '--authorization-plugin') : file.authorizationPlugins;
  return plugins?.length ? { authorizationPlugins: plugins } : {};
}

function validate(config: DaemonConfig): DaemonConfig {
  for (const key of ['root', 'execRoot'] as const) {
    if (!isAbsolute(config[key])) throw invalidArgument(`${key} must be an absolute path: ${config[key]}`);
  }
  for (const host of config.hosts ?? [config.host]) checkListener(host, config);
  checkDockerHost(config);
  return config;
}

/** The plugin settings: `--plugin-dir`s replace the file's `pluginDirs`. */
function pluginSettings(
  file: Partial<DaemonConfig>,
  flagDirs: string[] | undefined,
): Pick<DaemonConfig, 'pluginDirs' | 'dockerPluginDirs' | 'pluginTimeouts'> {
  const dirs = flagDirs?.length ? checkPluginDirs(flagDirs, '--plugin-dir') : file.pluginDirs;
  return {
    ...(dirs && { pluginDirs: dirs }),
    ...(file.dockerPluginDirs !== undefined && { dockerPluginDirs: file.dockerPluginDirs }),
    ...(file.pluginTimeouts && { pluginTimeouts: file.pluginTimeouts }),
  };
}

/**
 * Parses `tscrd`'s arguments (without `node` and the script), reading the
 * `--config` file if given; flags override the file, the file the defaults.
 * @throws InvalidArgument for unknown flags or bad values; NotFound for a missing config file.
 */
export async function parseCommandLine(argv: string[]): Promise<Command> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    throw invalidArgument(`${(err as Error).message}\n${USAGE}`, { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help', text: USAGE };
  let file: Partial<DaemonConfig> = {};
  if (values.config) {
    const text = await readFile(values.config, 'utf8').catch((err: unknown) => {
      throw fromSystemError(err, `cannot read config file ${values.config}`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`config file ${values.config} is not JSON: ${(err as Error).message}`);
    }
    file = parseConfigFile(json, values.config);
  }
  const flagLayers: Record<string, string> = {};
  for (const entry of values.layer ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw invalidArgument(`--layer wants LAYER=ENDPOINT, got ${JSON.stringify(entry)}`);
    flagLayers[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const flagDrivers = nameAddressFlags(values['volume-driver'], '--volume-driver');
  const flagNetDrivers = nameAddressFlags(values['network-driver'], '--network-driver');
  const hosts = values.host?.length ? values.host : [file.host ?? DEFAULT_CONFIG.host];
  const prefix = values['network-prefix'] ?? file.networkPrefix;
  const pool = values['network-pool'] ?? file.networkPool;
  const tls = tlsFlags(values);
  const config = validate({
    host: hosts[0] as string,
    ...(hosts.length > 1 && { hosts }),
    ...(tls && { tls }),
    ...(values['insecure-loopback'] && { insecureLoopback: true }),
    ...(values.peer?.length && { peers: values.peer }),
    root: values.root ?? file.root ?? DEFAULT_CONFIG.root,
    execRoot: values['exec-root'] ?? file.execRoot ?? DEFAULT_CONFIG.execRoot,
    defaultRuntime: values['default-runtime'] ?? file.defaultRuntime ?? DEFAULT_CONFIG.defaultRuntime,
    cgroupParent: values['cgroup-parent'] ?? file.cgroupParent ?? DEFAULT_CONFIG.cgroupParent,
    layers: { ...DEFAULT_CONFIG.layers, ...file.layers, ...checkLayers(flagLayers, '--layer') },
    volumeDrivers: { ...file.volumeDrivers, ...checkVolumeDrivers(flagDrivers, '--volume-driver') },
    ...authzFlags(values['authorization-plugin'], file),
    networkDrivers: {
      ...file.networkDrivers,
      ...checkDrivers(flagNetDrivers, '--network-driver', 'network', OWN_NETWORK_DRIVERS),
    },
    insecureRegistries: [
      ...new Set([
        ...(file.insecureRegistries ?? []),
        ...checkRegistries(values['insecure-registry'] ?? [], '--insecure-registry'),
      ]),
    ],
    ...dockerFlags(values, values['exec-root'] ?? file.execRoot ?? DEFAULT_CONFIG.execRoot),
    ...(file.limits && { limits: file.limits }),
    ...pluginSettings(file, values['plugin-dir']),
    ...(file.layerLimits && { layerLimits: file.layerLimits }),
    ...(prefix && { networkPrefix: prefix }),
    ...(pool && { networkPool: pool }),
    ...mirrorsOf(flagMirrors(file.mirrors, values['registry-mirror'], values.mirror)),
    criHost: values['no-cri']
      ? ''
      : (values['cri-host'] ??
        file.criHost ??
        `unix://${values['exec-root'] ?? file.execRoot ?? DEFAULT_CONFIG.execRoot}/cri.sock`),
    ...((values['cri-sandbox-image'] ?? file.criSandboxImage) && {
      criSandboxImage: values['cri-sandbox-image'] ?? file.criSandboxImage,
    }),
  });

  const [command, layer, ...rest] = positionals;
  if (command === undefined) {
    if (values.listen) throw invalidArgument('--listen is for serve-layer; the daemon listens on --host');
    return { kind: 'daemon', config };
  }
  if (command !== 'serve-layer') throw invalidArgument(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  if (!layer || !isLayer(layer) || rest.length > 0) {
    throw invalidArgument(`serve-layer wants one layer: ${LAYER_NAMES.join(', ')}`);
  }
  if (!values.listen) throw invalidArgument('serve-layer needs --listen ADDR');
  checkListener(values.listen, config);
  return { kind: 'serve-layer', layer, listen: values.listen, config };
}
