import type { EndpointSettings, HostConfig, NetworkSettings, PortBindingEntry } from '@tscr/api';
import type { containersV1 } from '@tscr/api/grpc';

/** Domain port map → wire list. */
export function portMapToProto(m: Record<string, PortBindingEntry[]> | undefined): containersV1.PortBinding[] {
  return Object.entries(m ?? {}).flatMap(([port, list]) =>
    list.length === 0 ? [{ port, hostIp: '', hostPort: '' }] : list.map((b) => ({ port, ...b })),
  );
}

/** Wire list → domain port map. */
export function portMapFromProto(list: containersV1.PortBinding[]): Record<string, PortBindingEntry[]> {
  const out: Record<string, PortBindingEntry[]> = {};
  for (const b of list) {
    out[b.port] ??= [];
    if (b.hostIp || b.hostPort) out[b.port]!.push({ hostIp: b.hostIp, hostPort: b.hostPort });
  }
  return out;
}

/** Domain → wire: endpoint settings. */
export function endpointSettingsToProto(e: EndpointSettings): containersV1.EndpointSettings {
  return {
    aliases: [...(e.aliases ?? [])],
    ipv4Address: e.ipamConfig?.ipv4Address ?? '',
    networkId: e.networkId ?? '',
    ipAddress: e.ipAddress ?? '',
    ipPrefixLen: e.ipPrefixLen ?? 0,
    gateway: e.gateway ?? '',
    macAddress: e.macAddress ?? '',
  };
}

/** Wire → domain: endpoint settings, unset fields left out. */
export function endpointSettingsFromProto(e: containersV1.EndpointSettings): EndpointSettings {
  const out: EndpointSettings = {};
  if (e.aliases.length) out.aliases = [...e.aliases];
  if (e.ipv4Address) out.ipamConfig = { ipv4Address: e.ipv4Address };
  if (e.networkId) out.networkId = e.networkId;
  if (e.ipAddress) out.ipAddress = e.ipAddress;
  if (e.ipPrefixLen) out.ipPrefixLen = e.ipPrefixLen;
  if (e.gateway) out.gateway = e.gateway;
  if (e.macAddress) out.macAddress = e.macAddress;
  return out;
}

/** Domain → wire: a map of endpoint settings by network. */
export function endpointsToProto(
  m: Record<string, EndpointSettings> | undefined,
): Record<string, containersV1.EndpointSettings> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, endpointSettingsToProto(v)]));
}

/** Wire → domain: a map of endpoint settings by network. */
export function endpointsFromProto(m: Record<string, containersV1.EndpointSettings>): Record<string, EndpointSettings> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, endpointSettingsFromProto(v)]));
}

/** The networking fields of `HostConfig`, domain → wire. */
export function networkHostConfigToProto(h: HostConfig | undefined) {
  return {
    portBindings: portMapToProto(h?.portBindings),
    publishAllPorts: Boolean(h?.publishAllPorts),
    dns: [...(h?.dns ?? [])],
    dnsSearch: [...(h?.dnsSearch ?? [])],
    dnsOptions: [...(h?.dnsOptions ?? [])],
    extraHosts: [...(h?.extraHosts ?? [])],
  };
}

/** The networking fields of `HostConfig`, wire → domain (unset ones left out). */
export function networkHostConfigFromProto(h: containersV1.HostConfig): Partial<HostConfig> {
  const out: Partial<HostConfig> = {};
  if (h.portBindings.length) out.portBindings = portMapFromProto(h.portBindings);
  if (h.publishAllPorts) out.publishAllPorts = true;
  if (h.dns.length) out.dns = [...h.dns];
  if (h.dnsSearch.length) out.dnsSearch = [...h.dnsSearch];
  if (h.dnsOptions.length) out.dnsOptions = [...h.dnsOptions];
  if (h.extraHosts.length) out.extraHosts = [...h.extraHosts];
  return out;
}

/** Domain → wire: `NetworkSettings`. */
export function networkSettingsToProto(s: NetworkSettings | undefined): containersV1.NetworkSettings | undefined {
  if (!s) return undefined;
  return {
    ipAddress: s.ipAddress,
    ipPrefixLen: s.ipPrefixLen,
    gateway: s.gateway,
    macAddress: s.macAddress,
    ports: portMapToProto(s.ports),
    networks: endpointsToProto(s.networks),
    sandboxKey: s.sandboxKey,
  };
}

/** Wire → domain: `NetworkSettings`. */
export function networkSettingsFromProto(s: containersV1.NetworkSettings | undefined): NetworkSettings | undefined {
  if (!s) return undefined;
  return {
    ipAddress: s.ipAddress,
    ipPrefixLen: s.ipPrefixLen,
    gateway: s.gateway,
    macAddress: s.macAddress,
    ports: portMapFromProto(s.ports),
    networks: endpointsFromProto(s.networks),
    sandboxKey: s.sandboxKey,
  };
}
