import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { failedPrecondition } from '@tscr/api';
import type { PortBinding, PortMapping } from '../types.js';

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
