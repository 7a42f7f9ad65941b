/** tscr's networks → dockerd's network JSON. */
import type { Network } from '@tscr/network';

/** `none` and `host` keep their names; tscr's `null` driver is dockerd's `null` too. */
export function networkJson(n: Network) {
  const ipam = (n.ipam ?? []).map((c) => ({
    Subnet: c.subnet,
    Gateway: c.gateway,
    ...(c.ipRange ? { IPRange: c.ipRange } : {}),
  }));
  const containers: Record<string, unknown> = {};
  for (const [id, e] of Object.entries(n.containers ?? {})) {
    containers[id] = {
      Name: e.containerName,
      EndpointID: '',
      MacAddress: e.macAddress,
      IPv4Address: e.ipAddress ? `${e.ipAddress}/${e.prefixLen}` : '',
      IPv6Address: '',
      // tscr's own field: the driver's EndpointOperInfo answer (dockerd asks for it but prints it nowhere).
      ...(e.driverInfo && Object.keys(e.driverInfo).length > 0 ? { DriverInfo: e.driverInfo } : {}),
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope || 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: n.ipamDriver || 'default',
      Options: n.ipamOptions && Object.keys(n.ipamOptions).length > 0 ? n.ipamOptions : null,
      Config: ipam,
    },
    Internal: Boolean(n.internal),
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options ?? {},
    Labels: n.labels ?? {},
  };
}
