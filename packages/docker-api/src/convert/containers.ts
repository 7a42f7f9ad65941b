/** tscr's containers → dockerd's list and inspect JSON. */
import type {
  ContainerConfig,
  HealthConfig,
  ContainerInfo,
  ContainerSummary,
  EndpointSettings,
  HostConfig,
  MountPoint,
  MountSpec,
  PortBindingEntry,
} from '@tscr/api';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 → Unix seconds (0 when empty). */
export function unixSeconds(rfc3339: string): number {
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

/** `80/tcp` → where it is published, as list rows show it. */
function portsJson(ports: Record<string, PortBindingEntry[]> | undefined) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings?.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of bindings ?? [])
      out.push({ IP: b.hostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.hostPort), Type: type });
  }
  return out;
}

/** One row of `GET /containers/json`; `info` adds ports, networks and mounts. */
export function containerSummaryJson(c: ContainerSummary, info?: ContainerInfo) {
  const networks: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(info?.networkSettings?.networks ?? {})) networks[name] = endpointJson(e);
  return {
    Id: c.id,
    Names: c.names.map((n) => (n.startsWith('/') ? n : `/${n}`)),
    Image: c.image,
    ImageID: c.imageId,
    Command: c.command,
    Created: unixSeconds(c.created),
    Ports: portsJson(info?.networkSettings?.ports),
    Labels: c.labels ?? {},
    State: c.state,
    Status: c.status,
    HostConfig: { NetworkMode: info?.hostConfig.networkMode || 'bridge' },
    NetworkSettings: { Networks: networks },
    Mounts: (info?.mounts ?? []).map(mountPointJson),
  };
}

function mountJson(m: MountSpec) {
  return {
    Type: m.type,
    Source: m.source,
    Target: m.target,
    ReadOnly: Boolean(m.readOnly),
    ...(m.type === 'tmpfs' && m.options?.length ? { TmpfsOptions: {} } : {}),
  };
}

/** dockerd's `HostConfig` in inspect. */
export function hostConfigJson(h: HostConfig) {
  return {
    Binds: h.binds ?? null,
    ContainerIDFile: '',
    LogConfig: { Type: h.logConfig?.type || 'k8s-file', Config: h.logConfig?.config ?? {} },
    NetworkMode: h.networkMode || 'bridge',
    PortBindings: bindingsJson(h.portBindings),
    RestartPolicy: { Name: h.restartPolicy?.name ?? 'no', MaximumRetryCount: h.restartPolicy?.maximumRetryCount ?? 0 },
    AutoRemove: Boolean(h.autoRemove),
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: h.capAdd ?? null,
    CapDrop: h.capDrop ?? null,
    CgroupnsMode: h.cgroupnsMode ?? 'host',
    Dns: h.dns ?? [],
    DnsOptions: h.dnsOptions ?? [],
    DnsSearch: h.dnsSearch ?? [],
    ExtraHosts: h.extraHosts ?? null,
    GroupAdd: h.groupAdd ?? null,
    IpcMode: 'private',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: Boolean(h.privileged),
    PublishAllPorts: Boolean(h.publishAllPorts),
    ReadonlyRootfs: Boolean(h.readonlyRootfs),
    SecurityOpt: h.securityOpt ?? null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: h.shmSize ?? 67108864,
    Runtime: h.runtime || 'runc',
    Isolation: '',
    CpuShares: h.cpuShares ?? 0,
    Memory: h.memory ?? 0,
    NanoCpus: h.nanoCpus ?? 0,
    CgroupParent: '',
    BlkioWeight: h.blkioWeight ?? 0,
    CpuPeriod: h.cpuPeriod ?? 0,
    CpuQuota: h.cpuQuota ?? 0,
    CpusetCpus: h.cpusetCpus ?? '',
    CpusetMems: h.cpusetMems ?? '',
    Devices: (h.devices ?? []).map((d) => ({
      PathOnHost: d.pathOnHost,
      PathInContainer: d.pathInContainer,
      CgroupPermissions: d.cgroupPermissions,
    })),
    MemoryReservation: h.memoryReservation ?? 0,
    MemorySwap: h.memorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: h.oomKillDisable ?? false,
    PidsLimit: h.pidsLimit ?? null,
    Ulimits: (h.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    Mounts: (h.mounts ?? []).map(mountJson),
    Init: h.init ?? null,
    ...(h.sysctls && Object.keys(h.sysctls).length ? { Sysctls: h.sysctls } : {}),
    MaskedPaths: [],
    ReadonlyPaths: [],
  };
}

function healthJson(info: ContainerInfo) {
  const h = info.state.health;
  if (!h) return undefined;
  return {
    Status: h.status,
    FailingStreak: h.failingStreak,
    Log: h.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
  };
}

/** `GET /containers/{id}/json`. */
export function containerInspectJson(info: ContainerInfo) {
  const c = info.config;
  const health = healthJson(info);
  const paused = Boolean(info.state.paused);
  const ns = info.networkSettings;
  const networks: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(ns?.networks ?? {})) networks[name] = endpointJson(e);
  return {
    Id: info.id,
    Created: info.created,
    Path: info.path,
    Args: info.args,
    State: {
      Status: info.state.status,
      Running: info.state.running,
      Paused: paused,
      Restarting: info.state.status === 'restarting',
      OOMKilled: info.state.oomKilled,
      Dead: info.state.status === 'dead',
      Pid: info.state.pid,
      ExitCode: info.state.exitCode,
      Error: info.state.error,
      StartedAt: info.state.startedAt || ZERO_TIME,
      FinishedAt: info.state.finishedAt || ZERO_TIME,
      ...(health ? { Health: health } : {}),
    },
    Image: info.image,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: info.logPath,
    Name: `/${info.name.replace(/^\//, '')}`,
    RestartCount: info.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: hostConfigJson(info.hostConfig),
    GraphDriver: { Name: 'overlay2', Data: { MergedDir: info.rootfs } },
    Mounts: info.mounts.map(mountPointJson),
    Config: containerConfigJson(c, info.id.slice(0, 12)),
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: ns?.sandboxKey ?? '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: bindingsJson(ns?.ports),
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: ns?.gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: ns?.ipAddress ?? '',
      IPPrefixLen: ns?.ipPrefixLen ?? 0,
      IPv6Gateway: '',
      MacAddress: ns?.macAddress ?? '',
      Networks: networks,
    },
  };
}

/** Docker's `Healthcheck` (durations in nanoseconds), in container and image configs alike. */
export function healthcheckJson(h: HealthConfig) {
  return {
    Test: h.test ?? [],
    Interval: (h.intervalMs ?? 0) * 1e6,
    Timeout: (h.timeoutMs ?? 0) * 1e6,
    StartPeriod: (h.startPeriodMs ?? 0) * 1e6,
    Retries: h.retries ?? 0,
  };
}

/** dockerd's `Config` of a container (inspect), also the top level of a create body. */
export function containerConfigJson(c: ContainerConfig, defaultHostname = '') {
  return {
    Hostname: c.hostname ?? defaultHostname,
    Domainname: '',
    User: c.user ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: Boolean(c.tty),
    OpenStdin: Boolean(c.openStdin),
    StdinOnce: Boolean(c.stdinOnce),
    Env: c.env ?? [],
    Cmd: c.cmd ?? null,
    ...(c.healthcheck ? { Healthcheck: healthcheckJson(c.healthcheck) } : {}),
    Image: c.image,
    Volumes: null,
    WorkingDir: c.workingDir ?? '',
    Entrypoint: c.entrypoint ?? null,
    OnBuild: null,
    Labels: c.labels ?? {},
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
  };
}

/**
 * A create request as the body of `POST /containers/create` (what an authorization plugin
 * is shown for a create that came over gRPC).
 */
export function createBodyJson(spec: {
  config: ContainerConfig;
  hostConfig?: HostConfig;
  networkingConfig?: Record<string, EndpointSettings>;
}) {
  const endpoints: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(spec.networkingConfig ?? {})) endpoints[name] = endpointJson(e);
  return {
    ...containerConfigJson(spec.config),
    HostConfig: hostConfigJson(spec.hostConfig ?? {}),
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}

/** `{"80/tcp": [{HostIp, HostPort}]}`. */
function bindingsJson(ports: Record<string, PortBindingEntry[]> | undefined) {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const [key, bindings] of Object.entries(ports ?? {}))
    out[key] = bindings?.length ? bindings.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })) : null;
  return out;
}

function mountPointJson(m: MountPoint) {
  return {
    Type: m.type,
    ...(m.name ? { Name: m.name, Driver: 'local' } : {}),
    Source: m.source,
    Destination: m.destination,
    Mode: m.rw ? '' : 'ro',
    RW: m.rw,
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  };
}

function endpointJson(e: EndpointSettings) {
  return {
    IPAMConfig: e.ipamConfig?.ipv4Address ? { IPv4Address: e.ipamConfig.ipv4Address } : null,
    Links: null,
    Aliases: e.aliases?.length ? e.aliases : null,
    MacAddress: e.macAddress ?? '',
    NetworkID: e.networkId ?? '',
    EndpointID: '',
    Gateway: e.gateway ?? '',
    IPAddress: e.ipAddress ?? '',
    IPPrefixLen: e.ipPrefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  };
}
