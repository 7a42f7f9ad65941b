/**
 * `POST /containers/create`: dockerd's Config + HostConfig + NetworkingConfig
 * → tscr's CreateContainerRequest. Every field tscr does not implement is
 * refused with a 400 naming it when it is set to anything that would change
 * behaviour; neutral values (null, 0, "", [], {}, dockerd's defaults) pass.
 */
import {
  type ContainerConfig,
  type EndpointSettings,
  type HostConfig,
  type MountSpec,
  invalidArgument,
} from '@tscr/api';
import type { CreateContainerRequest } from '@tscr/container';
import { applyVolumeDriver } from '@tscr/volume';
import { unsupportedOption } from '../errors.js';

type Json = Record<string, unknown>;

/** True for values that ask for nothing: null, false, 0, "", [], and objects of such values. */
export function isNeutral(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Json).every(isNeutral);
  return false;
}

function obj(v: unknown, name: string): Json {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${name} must be a JSON object`);
  return v as Json;
}

function str(v: unknown, name: string): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw invalidArgument(`${name} must be a string`);
  return v;
}

function strList(v: unknown, name: string): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalidArgument(`${name} must be a list of strings`);
  return v as string[];
}

function num(v: unknown, name: string): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`${name} must be a number`);
  return v;
}

function bool(v: unknown, name: string): boolean | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalidArgument(`${name} must be a boolean`);
  return v;
}

function labels(v: unknown, name: string): Record<string, string> | undefined {
  if (v === null || v === undefined) return undefined;
  const o = obj(v, name);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = String(val);
  return out;
}

/** Refuses every key of `section` that is not handled and not neutral. */
function refuseOthers(section: Json, handled: Set<string>, prefix: string, neutral: Record<string, unknown[]> = {}) {
  for (const [key, value] of Object.entries(section)) {
    if (handled.has(key) || isNeutral(value)) continue;
    // Own keys only: a body key such as `__proto__` must not find Object.prototype.
    const allowed = Object.hasOwn(neutral, key) ? neutral[key] : undefined;
    if (allowed?.some((n) => JSON.stringify(n) === JSON.stringify(value))) continue;
    throw unsupportedOption(`${prefix}.${key}`, JSON.stringify(value));
  }
}

const CONFIG_KEYS = new Set([
  'Image',
  'Cmd',
  'Entrypoint',
  'Env',
  'WorkingDir',
  'User',
  'Hostname',
  'Labels',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'StopSignal',
  'StopTimeout',
  'Volumes',
  'ExposedPorts',
  'Healthcheck',
]);

/** Durations in Docker's Healthcheck are nanoseconds. */
function healthcheck(v: unknown): ContainerConfig['healthcheck'] {
  if (v === null || v === undefined) return undefined;
  const h = obj(v, 'Healthcheck');
  const out: NonNullable<ContainerConfig['healthcheck']> = {};
  const test = strList(h.Test, 'Healthcheck.Test');
  if (test) out.test = test;
  const ms = (key: string) => {
    const n = num(h[key], `Healthcheck.${key}`);
    return n === undefined ? undefined : Math.round(n / 1e6);
  };
  const interval = ms('Interval');
  const timeout = ms('Timeout');
  const start = ms('StartPeriod');
  if (interval) out.intervalMs = interval;
  if (timeout) out.timeoutMs = timeout;
  if (start) out.startPeriodMs = start;
  const retries = num(h.Retries, 'Healthcheck.Retries');
  if (retries) out.retries = retries;
  if (!isNeutral(h.StartInterval)) throw unsupportedOption('Healthcheck.StartInterval');
  return out;
}

function containerConfig(body: Json): ContainerConfig {
  refuseOthers(body, CONFIG_KEYS, 'Config', { Domainname: [''], MacAddress: [''], NetworkDisabled: [false] });
  const image = str(body.Image, 'Image');
  if (!image) throw invalidArgument('config error: no image specified (Image)');
  const c: ContainerConfig = { image };
  const cmd = strList(body.Cmd, 'Cmd');
  if (cmd?.length) c.cmd = cmd;
  const entrypoint = strList(body.Entrypoint, 'Entrypoint');
  if (entrypoint !== undefined) c.entrypoint = entrypoint;
  const env = strList(body.Env, 'Env');
  if (env?.length) c.env = env;
  const set = <K extends keyof ContainerConfig>(key: K, value: ContainerConfig[K] | undefined) => {
    if (value !== undefined) c[key] = value;
  };
  set('workingDir', str(body.WorkingDir, 'WorkingDir'));
  set('user', str(body.User, 'User'));
  set('hostname', str(body.Hostname, 'Hostname'));
  set('labels', labels(body.Labels, 'Labels'));
  set('tty', bool(body.Tty, 'Tty') || undefined);
  set('openStdin', bool(body.OpenStdin, 'OpenStdin') || undefined);
  // `docker run -i` asks for StdinOnce: the first attachment's end (the client's half-close) is the container's EOF.
  set('stdinOnce', (c.openStdin && bool(body.StdinOnce, 'StdinOnce')) || undefined);
  set('stopSignal', str(body.StopSignal, 'StopSignal'));
  set('stopTimeout', num(body.StopTimeout, 'StopTimeout'));
  set('healthcheck', healthcheck(body.Healthcheck));
  return c;
}

const HOST_KEYS = new Set([
  'NetworkMode',
  'Binds',
  'Mounts',
  'Tmpfs',
  'AutoRemove',
  'ReadonlyRootfs',
  'Runtime',
  'RestartPolicy',
  'LogConfig',
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpuPeriod',
  'CpuQuota',
  'CpusetCpus',
  'CpusetMems',
  'PidsLimit',
  'BlkioWeight',
  'OomKillDisable',
  'Ulimits',
  'CapAdd',
  'CapDrop',
  'Privileged',
  'SecurityOpt',
  'Init',
  'GroupAdd',
  'ShmSize',
  'Sysctls',
  'CgroupnsMode',
  'ConsoleSize',
  'PortBindings',
  'PublishAllPorts',
  'Dns',
  'DnsSearch',
  'DnsOptions',
  'ExtraHosts',
  'VolumeDriver',
]);

/** dockerd's defaults that ask for nothing special. */
const HOST_NEUTRAL: Record<string, unknown[]> = {
  IpcMode: ['private', 'shareable'],
  PidMode: ['private'],
  UTSMode: ['private'],
  UsernsMode: ['private', 'host'],
  Isolation: ['default'],
  MemorySwappiness: [-1],
};

function mountSpec(v: unknown, i: number): MountSpec {
  const m = obj(v, `Mounts[${i}]`);
  const where = `HostConfig.Mounts[${i}]`;
  const type = str(m.Type, `${where}.Type`) ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw unsupportedOption(`${where}.Type`, type);
  const target = str(m.Target, `${where}.Target`);
  if (!target) throw invalidArgument(`${where}.Target is required`);
  const spec: MountSpec = { type, source: str(m.Source, `${where}.Source`) ?? '', target };
  if (bool(m.ReadOnly, `${where}.ReadOnly`)) spec.readOnly = true;
  const options: string[] = [];
  const tmpfs = obj(m.TmpfsOptions, `${where}.TmpfsOptions`);
  const size = num(tmpfs.SizeBytes, `${where}.TmpfsOptions.SizeBytes`);
  if (size) options.push(`size=${size}`);
  const mode = num(tmpfs.Mode, `${where}.TmpfsOptions.Mode`);
  if (mode) options.push(`mode=${mode.toString(8)}`);
  const bind = obj(m.BindOptions, `${where}.BindOptions`);
  const propagation = str(bind.Propagation, `${where}.BindOptions.Propagation`);
  if (propagation) options.push(propagation);
  refuseOthers(bind, new Set(['Propagation']), `${where}.BindOptions`);
  const vol = obj(m.VolumeOptions, `${where}.VolumeOptions`);
  if (vol.NoCopy === true) options.push('nocopy');
  for (const [k, v] of Object.entries(labels(vol.Labels, `${where}.VolumeOptions.Labels`) ?? {}))
    options.push(`volume-label=${k}=${v}`);
  const driver = obj(vol.DriverConfig, `${where}.VolumeOptions.DriverConfig`);
  const driverName = str(driver.Name, `${where}.VolumeOptions.DriverConfig.Name`);
  if (driverName) options.push(`volume-driver=${driverName}`);
  for (const [k, v] of Object.entries(labels(driver.Options, `${where}.VolumeOptions.DriverConfig.Options`) ?? {}))
    options.push(`volume-opt=${k}=${v}`);
  refuseOthers(driver, new Set(['Name', 'Options']), `${where}.VolumeOptions.DriverConfig`);
  refuseOthers(vol, new Set(['NoCopy', 'Labels', 'DriverConfig']), `${where}.VolumeOptions`);
  refuseOthers(
    m,
    new Set(['Type', 'Source', 'Target', 'ReadOnly', 'TmpfsOptions', 'BindOptions', 'VolumeOptions']),
    where,
    {
      Consistency: ['default', 'consistent'],
    },
  );
  if (options.length) spec.options = options;
  return spec;
}

function hostConfig(body: Json, configVolumes: unknown): HostConfig {
  refuseOthers(body, HOST_KEYS, 'HostConfig', HOST_NEUTRAL);
  const h: HostConfig = {};
  const set = <K extends keyof HostConfig>(key: K, value: HostConfig[K] | undefined) => {
    if (value !== undefined) h[key] = value;
  };
  const mode = str(body.NetworkMode, 'HostConfig.NetworkMode');
  // `default` is the daemon's default network.
  if (mode && mode !== 'default') h.networkMode = mode;
  const binds = strList(body.Binds, 'HostConfig.Binds');
  if (binds?.length) h.binds = binds;
  const mounts: MountSpec[] = [];
  if (Array.isArray(body.Mounts)) mounts.push(...body.Mounts.map((m, i) => mountSpec(m, i)));
  else if (!isNeutral(body.Mounts)) throw invalidArgument('HostConfig.Mounts must be a list');
  for (const [target, opts] of Object.entries(obj(body.Tmpfs, 'HostConfig.Tmpfs'))) {
    const spec: MountSpec = { type: 'tmpfs', source: '', target };
    const o = String(opts ?? '');
    if (o) spec.options = o.split(',');
    mounts.push(spec);
  }
  // Config.Volumes are anonymous volumes, except where a bind, mount or tmpfs already covers the path (as dockerd).
  const covered = new Set([...mounts.map((m) => m.target), ...(binds ?? []).map((b) => b.split(':')[1] ?? '')]);
  for (const target of Object.keys(obj(configVolumes, 'Volumes'))) {
    if (!covered.has(target)) mounts.push({ type: 'volume', source: '', target });
  }
  // HostConfig.VolumeDriver: the volume binds and mounts that name no driver use it.
  const withDriver = applyVolumeDriver(binds ?? [], mounts, str(body.VolumeDriver, 'HostConfig.VolumeDriver'));
  if (binds?.length) h.binds = withDriver.binds;
  if (!h.binds?.length) delete h.binds;
  if (withDriver.mounts.length) h.mounts = withDriver.mounts;
  set('autoRemove', bool(body.AutoRemove, 'HostConfig.AutoRemove') || undefined);
  set('readonlyRootfs', bool(body.ReadonlyRootfs, 'HostConfig.ReadonlyRootfs') || undefined);
  set('runtime', str(body.Runtime, 'HostConfig.Runtime'));
  const restart = obj(body.RestartPolicy, 'HostConfig.RestartPolicy');
  const policy = str(restart.Name, 'HostConfig.RestartPolicy.Name');
  if (policy && policy !== 'no') {
    if (!['always', 'unless-stopped', 'on-failure'].includes(policy))
      throw invalidArgument(`invalid restart policy ${JSON.stringify(policy)}`);
    h.restartPolicy = { name: policy as 'always' };
    const max = num(restart.MaximumRetryCount, 'HostConfig.RestartPolicy.MaximumRetryCount');
    if (max) h.restartPolicy.maximumRetryCount = max;
  }
  const log = obj(body.LogConfig, 'HostConfig.LogConfig');
  const logType = str(log.Type, 'HostConfig.LogConfig.Type');
  if (logType && !['json-file', 'k8s-file', 'local'].includes(logType))
    throw unsupportedOption('HostConfig.LogConfig.Type', logType);
  const logOpts = labels(log.Config, 'HostConfig.LogConfig.Config');
  if (logOpts && Object.keys(logOpts).length) h.logConfig = { type: 'k8s-file', config: logOpts };
  for (const [key, field] of [
    ['Memory', 'memory'],
    ['MemorySwap', 'memorySwap'],
    ['MemoryReservation', 'memoryReservation'],
    ['NanoCpus', 'nanoCpus'],
    ['CpuShares', 'cpuShares'],
    ['CpuPeriod', 'cpuPeriod'],
    ['CpuQuota', 'cpuQuota'],
    ['PidsLimit', 'pidsLimit'],
    ['BlkioWeight', 'blkioWeight'],
    ['ShmSize', 'shmSize'],
  ] as const) {
    const n = num(body[key], `HostConfig.${key}`);
    if (n) h[field] = n;
  }
  set('cpusetCpus', str(body.CpusetCpus, 'HostConfig.CpusetCpus'));
  set('cpusetMems', str(body.CpusetMems, 'HostConfig.CpusetMems'));
  set('oomKillDisable', bool(body.OomKillDisable, 'HostConfig.OomKillDisable') || undefined);
  if (Array.isArray(body.Ulimits) && body.Ulimits.length) {
    h.ulimits = body.Ulimits.map((u, i) => {
      const o = obj(u, `HostConfig.Ulimits[${i}]`);
      return {
        name: str(o.Name, 'Ulimits.Name') ?? '',
        soft: num(o.Soft, 'Ulimits.Soft') ?? 0,
        hard: num(o.Hard, 'Ulimits.Hard') ?? 0,
      };
    });
  }
  const list = (key: string) => {
    const v = strList(body[key], `HostConfig.${key}`);
    return v?.length ? v : undefined;
  };
  set('capAdd', list('CapAdd'));
  set('capDrop', list('CapDrop'));
  set('securityOpt', list('SecurityOpt'));
  set('groupAdd', list('GroupAdd'));
  set('privileged', bool(body.Privileged, 'HostConfig.Privileged') || undefined);
  set('init', bool(body.Init, 'HostConfig.Init') || undefined);
  const sysctls = labels(body.Sysctls, 'HostConfig.Sysctls');
  if (sysctls && Object.keys(sysctls).length) h.sysctls = sysctls;
  set('cgroupnsMode', str(body.CgroupnsMode, 'HostConfig.CgroupnsMode'));
  set('dns', list('Dns'));
  set('dnsSearch', list('DnsSearch'));
  set('dnsOptions', list('DnsOptions'));
  set('extraHosts', list('ExtraHosts'));
  const ports = obj(body.PortBindings, 'HostConfig.PortBindings');
  if (Object.keys(ports).length) {
    h.portBindings = {};
    for (const [port, bindings] of Object.entries(ports)) {
      if (!/^\d+(\/(tcp|udp|sctp))?$/.test(port)) throw invalidArgument(`invalid port ${JSON.stringify(port)}`);
      const key = port.includes('/') ? port : `${port}/tcp`;
      h.portBindings[key] = (Array.isArray(bindings) ? bindings : []).map((b, i) => {
        const o = obj(b, `HostConfig.PortBindings.${port}[${i}]`);
        return { hostIp: str(o.HostIp, 'HostIp') ?? '', hostPort: str(o.HostPort, 'HostPort') ?? '' };
      });
    }
  }
  set('publishAllPorts', bool(body.PublishAllPorts, 'HostConfig.PublishAllPorts') || undefined);
  return h;
}

/** The whole create body: Config at the top level, HostConfig, NetworkingConfig. */
export function createRequest(body: Json, name: string | undefined): CreateContainerRequest {
  // dockerode leaves `name` in the body too.
  const { HostConfig: host, NetworkingConfig: networking, name: bodyName, ...config } = body;
  const req: CreateContainerRequest = { config: containerConfig(config) };
  const chosen = name || (typeof bodyName === 'string' ? bodyName : '');
  if (chosen) req.name = chosen.replace(/^\//, '');
  const h = hostConfig(obj(host, 'HostConfig'), config.Volumes);
  const endpoints = obj(obj(networking, 'NetworkingConfig').EndpointsConfig, 'NetworkingConfig.EndpointsConfig');
  const networkingConfig: NonNullable<CreateContainerRequest['networkingConfig']> = {};
  for (const [net, ep] of Object.entries(endpoints)) {
    const where = `NetworkingConfig.EndpointsConfig.${net}`;
    const e = obj(ep, where);
    refuseOthers(e, new Set(['Aliases', 'IPAMConfig', 'DNSNames']), where, {});
    const settings: EndpointSettings = {};
    const aliases = strList(e.Aliases, `${where}.Aliases`);
    if (aliases?.length) settings.aliases = aliases;
    const ipam = obj(e.IPAMConfig, `${where}.IPAMConfig`);
    refuseOthers(ipam, new Set(['IPv4Address']), `${where}.IPAMConfig`);
    const ip = str(ipam.IPv4Address, `${where}.IPAMConfig.IPv4Address`);
    if (ip) settings.ipamConfig = { ipv4Address: ip };
    // The Docker CLI names the daemon's default network `default`.
    const mode = str(obj(host, 'HostConfig').NetworkMode, 'HostConfig.NetworkMode');
    if (net === 'default' && (!mode || mode === 'default')) {
      if (Object.keys(settings).length) networkingConfig.bridge = settings;
      continue;
    }
    networkingConfig[net] = settings;
  }
  if (Object.keys(networkingConfig).length) req.networkingConfig = networkingConfig;
  if (Object.keys(h).length) req.hostConfig = h;
  return req;
}
