/** tscr's version/info/events ↔ dockerd's JSON shapes. */
import type { TscrEvent } from '@tscr/api';
import type { EngineInfo, EngineVersion } from '../types.js';

/** Node's architecture names → Go's (what Docker clients expect). */
export function goArch(arch: string): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le' };
  return map[arch] ?? arch;
}

/** `uname -m`-style names for `info.Architecture`. */
function machineArch(arch: string): string {
  const map: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686' };
  return map[arch] ?? arch;
}

/** `GET /version`. */
export function versionJson(v: EngineVersion, apiVersion: string, minApiVersion: string) {
  const details = {
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    Os: v.os,
    Arch: goArch(v.arch),
    KernelVersion: v.kernelVersion,
    GitCommit: '',
    GoVersion: `node ${v.nodeVersion}`,
    BuildTime: '',
    Experimental: 'false',
  };
  return {
    Platform: { Name: 'tscr' },
    Components: [
      { Name: 'Engine', Version: v.version, Details: details },
      { Name: v.runtime, Version: v.runtimeVersion, Details: { GitCommit: '' } },
      { Name: v.monitor, Version: v.monitorVersion, Details: { GitCommit: '' } },
    ],
    Version: v.version,
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    GitCommit: '',
    GoVersion: `node ${v.nodeVersion}`,
    Os: v.os,
    Arch: goArch(v.arch),
    KernelVersion: v.kernelVersion,
    BuildTime: '',
  };
}

/** `GET /info`. */
export function infoJson(i: EngineInfo, extra: { id: string; eventListeners: number; networks: string[] }) {
  const runtimes: Record<string, { path: string }> = {};
  for (const r of i.runtimes) runtimes[r] = { path: r };
  return {
    ID: extra.id,
    Containers: i.containers,
    ContainersRunning: i.containersRunning,
    ContainersPaused: i.containersPaused,
    ContainersStopped: i.containersStopped,
    Images: i.images,
    Driver: i.storageDriver === 'overlay' ? 'overlay2' : i.storageDriver,
    DriverStatus: [['Backing Filesystem', 'extfs']],
    Plugins: { Volume: ['local'], Network: extra.networks, Authorization: null, Log: ['k8s-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: i.cgroupVersion,
    NEventsListener: extra.eventListeners,
    KernelVersion: i.kernelVersion,
    OperatingSystem: i.operatingSystem,
    OSVersion: '',
    OSType: 'linux',
    Architecture: machineArch(process.arch),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: {},
      Mirrors: [],
    },
    NCPU: i.ncpu,
    MemTotal: i.memTotal,
    GenericResources: null,
    DockerRootDir: i.rootDir,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: i.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: i.serverVersion,
    Runtimes: runtimes,
    DefaultRuntime: i.defaultRuntime,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: [],
    Warnings: [],
  };
}

/**
 * One `/events` message as a JSON line. `timeNano` is written as a raw
 * integer (it does not fit a double).
 */
export function eventLine(e: TscrEvent): string {
  const seconds = Number(BigInt(e.timeNano) / 1_000_000_000n);
  const body: Record<string, unknown> = {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'local',
    time: seconds,
  };
  if (e.type === 'container') {
    body.status = e.action;
    body.id = e.id;
    if (e.attributes.image) body.from = e.attributes.image;
  }
  const json = JSON.stringify(body);
  return `${json.slice(0, -1)},"timeNano":${/^\d+$/.test(e.timeNano) ? e.timeNano : '0'}}\n`;
}
