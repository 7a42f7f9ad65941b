import { invalidArgument } from '@tscr/api';
import type { PortBinding } from '../types.js';
import { parseIp } from './ipam.js';

function portNumber(text: string, spec: string, allowZero: boolean): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n <= 65535 && (allowZero ? n >= 0 : n >= 1))) {
    throw invalidArgument(`invalid port ${JSON.stringify(text)} in ${JSON.stringify(spec)}: want 1-65535`, {
      details: { port: spec },
    });
  }
  return n;
}

/**
 * Parses Docker's `-p [HOSTIP:][HOSTPORT:]CTRPORT[/tcp|udp]` (a missing or
 * empty host port means "pick one"). Port ranges are not supported.
 * @throws InvalidArgument.
 */
export function parsePortSpec(spec: string): PortBinding {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') {
    throw invalidArgument(`invalid protocol ${JSON.stringify(proto)} in ${JSON.stringify(spec)}: want tcp or udp`, {
      details: { port: spec },
    });
  }
  const parts = (slash < 0 ? spec : spec.slice(0, slash)).split(':');
  if (parts.length > 3 || parts.some((p, i) => p === '' && i === parts.length - 1)) {
    throw invalidArgument(`invalid port specification ${JSON.stringify(spec)}`, { details: { port: spec } });
  }
  const containerPort = portNumber(parts[parts.length - 1]!, spec, false);
  const hostPortText = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const hostIp = parts.length === 3 ? parts[0]! : '';
  if (hostIp !== '') parseIp(hostIp);
  const hostPort = hostPortText === '' ? 0 : portNumber(hostPortText, spec, false);
  return { containerPort, protocol: proto, hostIp, hostPort };
}
