import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';

/** Where a gRPC service listens: a UNIX socket path or a TCP host:port. */
export interface Endpoint {
  /** Target string for grpc-js (`unix:///run/tscr/tscr.sock` or `127.0.0.1:7070`). */
  target: string;
  /** The address as the user wrote it, for error messages. */
  display: string;
}

/**
 * Parses `unix:///path`, `/abs/path`, `tcp://host:port` or `host:port`.
 * @throws TscrError InvalidArgument for anything else.
 */
export function parseEndpoint(address: string): Endpoint {
  const a = address.trim();
  if (a.startsWith('unix://')) {
    const path = a.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalidArgument(`socket path must be absolute: ${address}`);
    return { target: `unix://${path}`, display: a };
  }
  if (a.startsWith('/')) return { target: `unix://${a}`, display: `unix://${a}` };
  const hostPort = a.startsWith('tcp://') ? a.slice('tcp://'.length) : a;
  if (!/^[\w.\-[\]:]+:\d+$/.test(hostPort)) {
    throw invalidArgument(`invalid daemon address ${JSON.stringify(address)}: want unix:///path or tcp://host:port`);
  }
  return { target: hostPort, display: `tcp://${hostPort}` };
}

/** Channel options shared by every tscr client: large messages, quick failure when the daemon is down. */
export const clientChannelOptions: ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.enable_retries': 0,
};

/** Insecure credentials: the UNIX socket is protected by file permissions. */
export function clientCredentials(): ChannelCredentials {
  return credentials.createInsecure();
}
