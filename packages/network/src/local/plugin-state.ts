import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { internal, isErrno } from '@tscr/api';
import type { Endpoint, Network, NetworkAttachment, PortMapping } from '../types.js';
import type { AllocatedPool } from './ipam-allocator.js';

/** A network of a plugin driver, as kept on disk. */
export interface PluginNetworkRecord {
  id: string;
  name: string;
  /** The network plugin's name. */
  driver: string;
  /** `default` or an IPAM plugin's name. */
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  created: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  internal: boolean;
  pool: AllocatedPool;
  ipRange?: string;
  /** `a.b.c.d/n`, from the IPAM driver. */
  gateway: string;
  /** The driver's GetCapabilities `Scope` when the network was made; absent (older records): `local`. */
  scope?: 'local' | 'global';
  /** The driver's `ConnectivityScope`; absent: same as `scope`. */
  connectivityScope?: 'local' | 'global';
}

/** One container interface on a plugin network. */
export interface PluginEndpointRecord {
  networkId: string;
  endpointId: string;
  /** `a.b.c.d/n`. */
  address: string;
  mac: string;
  /** Inside the container. */
  ifname: string;
  /** What the driver's Join answered as gateway; '' when none. */
  gateway: string;
  aliases: string[];
  staticIp: boolean;
  /** Whether ProgramExternalConnectivity was sent (so Revoke is owed). */
  external: boolean;
}

/** What is set up for one started container on plugin networks. */
export interface PluginAttachmentRecord {
  containerId: string;
  name: string;
  kind: 'own' | 'shared';
  netns: string;
  target?: string;
  endpoints: PluginEndpointRecord[];
  ports: PortMapping[];
}

/** Everything the plugin network service persists. */
export interface PluginNetworkState {
  networks: PluginNetworkRecord[];
  attachments: Record<string, PluginAttachmentRecord>;
}

/** Loads the state file; empty when it does not exist. @throws Internal when unreadable. */
export function loadPluginState(file: string): PluginNetworkState {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<PluginNetworkState>;
    return { networks: s.networks ?? [], attachments: s.attachments ?? {} };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { networks: [], attachments: {} };
    throw internal(`read plugin network state ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Replaces the state file atomically. */
export function savePluginState(file: string, state: PluginNetworkState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The domain endpoint of a record. */
export function toEndpoint(a: PluginAttachmentRecord, e: PluginEndpointRecord, n?: PluginNetworkRecord): Endpoint {
  const [ip = '', bits = '0'] = e.address.split('/');
  return {
    networkId: e.networkId,
    networkName: n?.name ?? '',
    containerId: a.containerId,
    containerName: a.name,
    aliases: [...e.aliases],
    interfaceName: e.ifname,
    ipAddress: ip,
    prefixLen: Number(bits),
    gateway: e.gateway,
    macAddress: e.mac,
    staticIp: e.staticIp,
  };
}

/** The domain network of a record, with the endpoints on it. */
export function toNetwork(n: PluginNetworkRecord, state: PluginNetworkState): Network {
  const containers: Record<string, Endpoint> = {};
  for (const a of Object.values(state.attachments)) {
    for (const e of a.endpoints) if (e.networkId === n.id) containers[a.containerId] = toEndpoint(a, e, n);
  }
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    created: n.created,
    labels: { ...n.labels },
    builtin: false,
    internal: n.internal,
    options: { ...n.options },
    ipam: [{ subnet: n.pool.pool, gateway: n.gateway.split('/')[0] ?? '', ...(n.ipRange && { ipRange: n.ipRange }) }],
    containers,
    ipamDriver: n.ipamDriver,
    ipamOptions: { ...n.ipamOptions },
    scope: n.scope ?? 'local',
  };
}

/** The attachment of a record (a shared one shows its target's namespace). */
export function toAttachment(
  a: PluginAttachmentRecord,
  state: PluginNetworkState,
  dns: string[],
): NetworkAttachment | undefined {
  if (a.kind === 'shared') {
    const t = state.attachments[a.target ?? ''];
    return t ? { mode: 'path', path: t.netns, endpoints: [], ports: [], dns } : undefined;
  }
  const byId = (id: string) => state.networks.find((n) => n.id === id);
  return {
    mode: 'path',
    path: a.netns,
    endpoints: a.endpoints.map((e) => toEndpoint(a, e, byId(e.networkId))),
    ports: a.ports.map((p) => ({ ...p })),
    dns,
  };
}
