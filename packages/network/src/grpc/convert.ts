import { internal } from '@tscr/api';
import type { networkV1 } from '@tscr/api/grpc';
import type { Endpoint, EndpointRequest, Network, NetworkAttachment, PortMapping } from '../types.js';

/** Domain endpoint → wire. */
export function endpointToProto(e: Endpoint): networkV1.Endpoint {
  return { ...e, aliases: [...e.aliases], driverInfo: { ...e.driverInfo } };
}

/** Wire endpoint → domain. @throws Internal when missing. */
export function endpointFromProto(e: networkV1.Endpoint | undefined): Endpoint {
  if (!e) throw internal('network service returned no endpoint');
  return {
    networkId: e.networkId,
    networkName: e.networkName,
    containerId: e.containerId,
    containerName: e.containerName,
    aliases: [...e.aliases],
    interfaceName: e.interfaceName,
    ipAddress: e.ipAddress,
    prefixLen: e.prefixLen,
    gateway: e.gateway,
    macAddress: e.macAddress,
    staticIp: e.staticIp,
    ...(Object.keys(e.driverInfo).length > 0 && { driverInfo: { ...e.driverInfo } }),
  };
}

/** Domain network → wire. */
export function networkToProto(n: Network): networkV1.Network {
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    created: n.created,
    labels: { ...n.labels },
    builtin: n.builtin,
    internal: n.internal,
    options: { ...n.options },
    ipam: n.ipam.map((c) => ({ subnet: c.subnet, gateway: c.gateway, ipRange: c.ipRange ?? '' })),
    bridge: n.bridge ?? '',
    containers: Object.fromEntries(Object.entries(n.containers).map(([k, e]) => [k, endpointToProto(e)])),
    ipamDriver: n.ipamDriver ?? '',
    ipamOptions: { ...n.ipamOptions },
    scope: n.scope ?? '',
  };
}

/** Wire network → domain. @throws Internal when the message is missing. */
export function networkFromProto(n: networkV1.Network | undefined): Network {
  if (!n) throw internal('network service returned no network');
  const out: Network = {
    id: n.id,
    name: n.name,
    driver: n.driver,
    created: n.created,
    labels: { ...n.labels },
    builtin: n.builtin,
    internal: n.internal,
    options: { ...n.options },
    ipam: n.ipam.map((c) => ({ subnet: c.subnet, gateway: c.gateway, ...(c.ipRange && { ipRange: c.ipRange }) })),
    containers: Object.fromEntries(Object.entries(n.containers).map(([k, e]) => [k, endpointFromProto(e)])),
  };
  if (n.bridge) out.bridge = n.bridge;
  if (n.ipamDriver) out.ipamDriver = n.ipamDriver;
  if (Object.keys(n.ipamOptions).length > 0) out.ipamOptions = { ...n.ipamOptions };
  if (n.scope) out.scope = n.scope;
  return out;
}

/** Domain port → wire. */
export function portToProto(p: PortMapping): networkV1.PortMapping {
  return { containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort };
}

/** Wire port → domain. @throws Internal for an unknown protocol. */
export function portFromProto(p: networkV1.PortMapping): PortMapping {
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw internal(`unknown protocol ${JSON.stringify(p.protocol)}`);
  return { containerPort: p.containerPort, protocol: p.protocol, hostIp: p.hostIp, hostPort: p.hostPort };
}

/** Domain endpoint request → wire. */
export function endpointRequestToProto(r: EndpointRequest): networkV1.EndpointRequest {
  return { network: r.network, aliases: [...(r.aliases ?? [])], ip: r.ip ?? '' };
}

/** Wire endpoint request → domain. */
export function endpointRequestFromProto(r: networkV1.EndpointRequest): EndpointRequest {
  const out: EndpointRequest = { network: r.network };
  if (r.aliases.length > 0) out.aliases = [...r.aliases];
  if (r.ip) out.ip = r.ip;
  return out;
}

/** Domain attachment → wire. */
export function attachmentToProto(a: NetworkAttachment): networkV1.AttachResponse {
  return {
    namespaceMode: a.mode,
    namespacePath: a.path ?? '',
    endpoints: a.endpoints.map(endpointToProto),
    ports: a.ports.map(portToProto),
    dns: [...a.dns],
  };
}

const MODES: ReadonlyArray<NetworkAttachment['mode']> = ['none', 'host', 'path'];

/** Wire attachment → domain. @throws Internal for a mode this client does not know. */
export function attachmentFromProto(res: networkV1.AttachResponse): NetworkAttachment {
  const mode = MODES.find((m) => m === res.namespaceMode);
  if (!mode) throw internal(`network service returned unknown namespace mode ${JSON.stringify(res.namespaceMode)}`);
  const out: NetworkAttachment = {
    mode,
    endpoints: res.endpoints.map(endpointFromProto),
    ports: res.ports.map(portFromProto),
    dns: [...res.dns],
  };
  if (res.namespacePath) out.path = res.namespacePath;
  return out;
}
