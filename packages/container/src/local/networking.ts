import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  failedPrecondition,
  invalidArgument,
  isNotFound,
  type ContainerInfo,
  type EndpointSettings,
  type HostConfig,
  type NetworkSettings,
  type PortBindingEntry,
} from '@tscr/api';
import type { ImageService } from '@tscr/image';
import type { EndpointRequest, NetworkAttachment, NetworkService, PortBinding } from '@tscr/network';
import type { ResolvedMount } from '@tscr/volume';
import type { ContainerStore } from '../store.js';
import { lookupContainer } from './lookup.js';

/** What networking needs from the container service's options. */
export interface NetworkingDeps {
  networks: Pick<NetworkService, 'get' | 'attach' | 'attachment'>;
  images: Pick<ImageService, 'get'>;
  store: ContainerStore;
  containersDir: string;
}

/** The network mode of a new container when none is asked for, as in Docker. */
export const DEFAULT_NETWORK_MODE = 'bridge';

/** `bridge` when the network layer has it (as in Docker), else `none` (a layer without bridge networks). */
export async function defaultNetworkMode(networks: Pick<NetworkService, 'get'>): Promise<string> {
  try {
    await networks.get(DEFAULT_NETWORK_MODE);
    return DEFAULT_NETWORK_MODE;
  } catch (err) {
    if (isNotFound(err)) return 'none';
    throw err;
  }
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const PORT_KEY = /^(\d{1,5})(\/(tcp|udp))?$/;

function portKey(key: string): { port: number; protocol: 'tcp' | 'udp' } {
  const m = PORT_KEY.exec(key);
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw invalidArgument(`invalid container port ${JSON.stringify(key)}: want 1-65535[/tcp|udp]`, {
      details: { port: key },
    });
  }
  return { port, protocol: (m[3] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

/** `HostConfig.PortBindings` (plus `-P`'s exposed ports) → the network layer's port requests. @throws InvalidArgument. */
export function portRequests(h: HostConfig, exposed: string[] = []): PortBinding[] {
  const out: PortBinding[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(h.portBindings ?? {})) {
    const { port, protocol } = portKey(key);
    seen.add(`${port}/${protocol}`);
    for (const b of list.length > 0 ? list : [{ hostIp: '', hostPort: '' }]) {
      const hostPort = b.hostPort === '' ? 0 : Number(b.hostPort);
      if (!/^\d*$/.test(b.hostPort) || !(hostPort >= 0 && hostPort <= 65535)) {
        throw invalidArgument(`invalid host port ${JSON.stringify(b.hostPort)} for ${key}: want 1-65535`, {
          details: { port: key },
        });
      }
      if (b.hostIp && !IPV4.test(b.hostIp)) {
        throw invalidArgument(`invalid host IP ${JSON.stringify(b.hostIp)} for ${key}`, { details: { port: key } });
      }
      out.push({ containerPort: port, protocol, hostIp: b.hostIp, hostPort });
    }
  }
  if (h.publishAllPorts) {
    for (const key of exposed) {
      const { port, protocol } = portKey(key);
      if (!seen.has(`${port}/${protocol}`)) out.push({ containerPort: port, protocol, hostIp: '', hostPort: 0 });
    }
  }
  return out;
}

/** `--add-host host:ip` lines. @throws InvalidArgument. */
function extraHostLines(entries: string[]): string[] {
  return entries.map((e) => {
    const colon = e.indexOf(':');
    const host = e.slice(0, colon);
    const ip = e.slice(colon + 1);
    if (colon <= 0 || !IPV4.test(ip)) {
      throw invalidArgument(`invalid --add-host ${JSON.stringify(e)}: want host:IPv4`, { details: { host: e } });
    }
    return `${ip}\t${host}`;
  });
}

/**
 * Checks the networking part of a create request, before anything is made:
 * the networks exist, the ports, addresses, DNS servers and extra hosts are
 * well-formed. @throws NotFound; InvalidArgument.
 */
export async function checkNetworking(
  d: Pick<NetworkingDeps, 'networks' | 'store'>,
  hostConfig: HostConfig,
  endpoints: Record<string, EndpointSettings> | undefined,
): Promise<void> {
  const mode = hostConfig.networkMode ?? DEFAULT_NETWORK_MODE;
  if (mode.startsWith('container:')) lookupContainer(d.store, mode.slice('container:'.length));
  else await d.networks.get(mode === 'default' ? DEFAULT_NETWORK_MODE : mode);
  for (const [net, e] of Object.entries(endpoints ?? {})) {
    await d.networks.get(net);
    const ip = e.ipamConfig?.ipv4Address;
    if (ip && !IPV4.test(ip)) throw invalidArgument(`invalid IPv4 address ${JSON.stringify(ip)}`, { details: { ip } });
  }
  portRequests(hostConfig);
  for (const s of hostConfig.dns ?? []) {
    if (!IPV4.test(s)) throw invalidArgument(`invalid --dns ${JSON.stringify(s)}: want an IPv4 address`);
  }
  extraHostLines(hostConfig.extraHosts ?? []);
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
    if (Object.keys(hostConfig.portBindings ?? {}).length > 0) {
      throw invalidArgument(`published ports are not supported with network mode ${JSON.stringify(mode)}`);
    }
  }
}

/** The config-only settings a new container starts with (aliases and fixed addresses per network). */
export function initialNetworkSettings(endpoints: Record<string, EndpointSettings> | undefined): NetworkSettings {
  const networks: Record<string, EndpointSettings> = {};
  for (const [net, e] of Object.entries(endpoints ?? {})) {
    networks[net] = {
      ...(e.aliases?.length && { aliases: [...e.aliases] }),
      ...(e.ipamConfig?.ipv4Address && { ipamConfig: { ipv4Address: e.ipamConfig.ipv4Address } }),
    };
  }
  return { ipAddress: '', ipPrefixLen: 0, gateway: '', macAddress: '', ports: {}, networks, sandboxKey: '' };
}

/** Settings of a stopped container: the configuration, no addresses. */
export function stoppedNetworkSettings(s: NetworkSettings | undefined): NetworkSettings {
  const configured: Record<string, EndpointSettings> = {};
  for (const [net, e] of Object.entries(s?.networks ?? {})) {
    configured[net] = {
      ...(e.aliases?.length && { aliases: e.aliases }),
      ...(e.ipamConfig && { ipamConfig: e.ipamConfig }),
    };
  }
  return initialNetworkSettings(configured);
}

/** Docker-shaped settings from what the network layer set up, over the configured ones. */
export function liveNetworkSettings(info: ContainerInfo, a: NetworkAttachment | undefined): NetworkSettings {
  const base = stoppedNetworkSettings(info.networkSettings);
  if (!a) return base;
  const networks: Record<string, EndpointSettings> = {};
  for (const ep of a.endpoints) {
    const configured = base.networks[ep.networkName] ?? {};
    networks[ep.networkName] = {
      ...configured,
      ...(ep.aliases.length > 0 && { aliases: ep.aliases }),
      networkId: ep.networkId,
      ipAddress: ep.ipAddress,
      ipPrefixLen: ep.prefixLen,
      gateway: ep.gateway,
      macAddress: ep.macAddress,
    };
  }
  const ports: Record<string, PortBindingEntry[]> = {};
  for (const p of a.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    ports[key] = [...(ports[key] ?? []), { hostIp: p.hostIp, hostPort: String(p.hostPort) }];
  }
  const first = a.endpoints[0];
  return {
    ipAddress: first?.ipAddress ?? '',
    ipPrefixLen: first?.prefixLen ?? 0,
    gateway: first?.gateway ?? '',
    macAddress: first?.macAddress ?? '',
    ports,
    networks: a.mode === 'path' ? networks : base.networks,
    sandboxKey: a.path ?? '',
  };
}

/**
 * The host's resolv.conf: its nameservers, and its search and options lines. Read again at each start (the
 * host's file may change), in one synchronous call: a small file in the page cache, where the promise API took
 * five thread-pool round trips (open, stat, two reads, close) per start.
 */
function hostResolvConf(): { nameservers: string[]; rest: string[] } {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // No resolver file on the host: the container gets none either (unless --dns).
  }
  const nameservers: string[] = [];
  const rest: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) nameservers.push(f[1]);
    else if (f[0] === 'search' || f[0] === 'options') rest.push(line.trim());
  }
  return { nameservers, rest };
}

/**
 * /etc/hosts, /etc/hostname and /etc/resolv.conf of a container, written to
 * its directory. Synchronously: three small files on the start path, where
 * each asynchronous write cost three thread-pool trips (open, write, close),
 * queued behind every other file operation of a busy daemon.
 */
export function writeNetworkFiles(
  dir: string,
  info: ContainerInfo,
  a: NetworkAttachment,
): Array<{ name: string; path: string }> {
  const h = info.hostConfig;
  const hostname = info.config.hostname || info.id.slice(0, 12);
  const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const ep of a.endpoints.slice(0, 1)) hosts.push(`${ep.ipAddress}\t${hostname}`);
  if (a.mode !== 'host' && a.endpoints.length === 0) hosts.push(`127.0.1.1\t${hostname}`);
  hosts.push(...extraHostLines(h.extraHosts ?? []));
  const host = hostResolvConf();
  const servers = h.dns?.length ? h.dns : a.dns.length ? a.dns : host.nameservers;
  const resolv = [
    ...servers.map((s) => `nameserver ${s}`),
    ...(h.dnsSearch?.length ? [`search ${h.dnsSearch.join(' ')}`] : host.rest.filter((l) => l.startsWith('search'))),
    ...(h.dnsOptions?.length
      ? [`options ${h.dnsOptions.join(' ')}`]
      : host.rest.filter((l) => l.startsWith('options'))),
  ];
  const files = [
    { name: 'hosts', text: `${hosts.join('\n')}\n` },
    { name: 'hostname', text: `${hostname}\n` },
    { name: 'resolv.conf', text: `${resolv.join('\n')}\n` },
  ];
  for (const f of files) writeFileSync(join(dir, f.name), f.text, { mode: 0o644 });
  return files.map((f) => ({ name: f.name, path: join(dir, f.name) }));
}

/**
 * Asks the network layer for the container's namespace (and endpoints and
 * ports), then writes its hosts/hostname/resolv.conf and returns the bind
 * mounts for them (skipping any path the user mounts). On failure after the
 * attach, the caller detaches.
 */
export async function attachNetwork(
  d: NetworkingDeps,
  info: ContainerInfo,
  userMounts: ResolvedMount[],
): Promise<{ attachment: NetworkAttachment; mounts: ResolvedMount[] }> {
  const h = info.hostConfig;
  let mode = h.networkMode || DEFAULT_NETWORK_MODE;
  if (mode.startsWith('container:')) {
    const target = lookupContainer(d.store, mode.slice('container:'.length));
    if (!target.state.running) {
      throw failedPrecondition(`cannot join the network of container ${target.name}: it is not running`, {
        details: { id: target.id },
      });
    }
    mode = `container:${target.id}`;
  }
  const exposed = h.publishAllPorts ? ((await d.images.get(info.image)).config.exposedPorts ?? []) : [];
  const endpoints: EndpointRequest[] = Object.entries(info.networkSettings?.networks ?? {}).map(([network, e]) => ({
    network,
    ...(e.aliases?.length && { aliases: e.aliases }),
    ...(e.ipamConfig?.ipv4Address && { ip: e.ipamConfig.ipv4Address }),
  }));
  const attachment = await d.networks.attach(info.id, mode, {
    name: info.name,
    endpoints,
    ports: portRequests(h, exposed),
  });
  const taken = new Set(userMounts.map((m) => m.destination));
  const files = writeNetworkFiles(join(d.containersDir, info.id), info, attachment);
  const mounts: ResolvedMount[] = files
    .filter((f) => !taken.has(`/etc/${f.name}`))
    .map((f) => ({
      destination: `/etc/${f.name}`,
      type: 'bind',
      source: f.path,
      options: ['rbind', 'rprivate', info.hostConfig.readonlyRootfs ? 'ro' : 'rw'],
      mountType: 'bind',
      rw: !info.hostConfig.readonlyRootfs,
    }));
  return { attachment, mounts };
}
