import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { failedPrecondition, invalidArgument } from '@tscr/api';
import type { PortBinding, PortMapping } from '../types.js';
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

/** A bound socket that keeps a host port ours while a container publishes it. */
export interface PortHolder {
  mapping: PortMapping;
  close(): void;
}

function bindTcp(ip: string, port: number): Promise<{ port: number; sock: Server }> {
  return new Promise((resolve, reject) => {
    const sock = createServer();
    sock.once('error', reject);
    sock.listen({ port, host: ip, exclusive: true }, () => {
      sock.unref();
      sock.off('error', reject);
      const addr = sock.address();
      resolve({ port: typeof addr === 'object' && addr ? addr.port : port, sock });
    });
  });
}

function bindUdp(ip: string, port: number): Promise<{ port: number; sock: Socket }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind({ port, address: ip, exclusive: true }, () => {
      sock.unref();
      sock.off('error', reject);
      resolve({ port: sock.address().port, sock });
    });
  });
}

/**
 * Binds the host port of `b` (a free one when 0), so nothing else takes it
 * while the container publishes it. @throws FailedPrecondition when taken.
 */
export async function holdPort(b: PortBinding): Promise<PortHolder> {
  const ip = b.hostIp || '0.0.0.0';
  try {
    const { port, sock } = b.protocol === 'tcp' ? await bindTcp(ip, b.hostPort) : await bindUdp(ip, b.hostPort);
    return {
      mapping: { containerPort: b.containerPort, protocol: b.protocol, hostIp: ip, hostPort: port },
      close: () => sock.close(),
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw failedPrecondition(
      `cannot publish ${ip}:${b.hostPort}/${b.protocol}: ${code === 'EADDRINUSE' ? 'port is already allocated' : (err as Error).message}`,
      { cause: err, details: { port: `${ip}:${b.hostPort}/${b.protocol}` } },
    );
  }
}
