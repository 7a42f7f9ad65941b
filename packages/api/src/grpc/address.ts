import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { credentials, type ChannelCredentials, type ChannelOptions, type ClientOptions } from '@grpc/grpc-js';
import { answerOnMessage } from './answer-early.js';
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

/** The host part of a TCP endpoint target (`[::1]:7070` → `::1`). */
export function endpointHost(ep: Endpoint): string {
  return ep.target.slice(0, ep.target.lastIndexOf(':')).replace(/^\[|\]$/g, '');
}

/** Channel options shared by every tscr client: large messages, quick failure when the daemon is down. */
export const clientChannelOptions: ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.enable_retries': 0,
};

/** A client's side of mutual TLS: PEM text (or bytes) of the CA it trusts, its certificate and key. */
export interface ClientTls {
  /** CA certificate(s) the daemon's certificate must chain to. */
  ca: string | Uint8Array;
  /** The client's certificate, signed by a CA the daemon trusts. */
  cert: string | Uint8Array;
  /** The client certificate's private key. */
  key: string | Uint8Array;
  /** Name to check the daemon's certificate against instead of the address's host (optional). */
  serverName?: string;
}

/** A daemon address with, for TCP, the client's TLS material. */
export interface DaemonTarget {
  /** `unix:///path`, `/path`, `tcp://host:port` or `host:port`. */
  address: string;
  /** Mutual TLS; absent means a plain (insecure) channel, fine for a UNIX socket. */
  tls?: ClientTls;
}

/** What every `Grpc*` client constructor takes: an address string (plain channel) or a {@link DaemonTarget}. */
export type DaemonAddress = string | DaemonTarget;

/** Everything a generated client constructor needs. */
export interface ClientChannel {
  /** grpc-js target. */
  target: string;
  /** The address for error messages. */
  display: string;
  credentials: ChannelCredentials;
  /** Channel options, and the clients' interceptors (a unary call ends with its answer: see answer-early.ts). */
  options: ClientOptions;
}

const bytes = (v: string | Uint8Array): Buffer => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v));

/**
 * The one place a client channel is made: parses the address and picks the
 * credentials (mutual TLS when `tls` is given, else insecure — the UNIX socket
 * is protected by file permissions). `extra` options override the shared ones.
 * @throws InvalidArgument for a malformed address.
 */
export function clientChannel(address: DaemonAddress, extra: ChannelOptions = {}): ClientChannel {
  const target: DaemonTarget = typeof address === 'string' ? { address } : address;
  const ep = parseEndpoint(target.address);
  const tls = target.tls;
  const options: ClientOptions = { ...clientChannelOptions, ...extra, interceptors: [answerOnMessage] };
  if (!tls) return { target: ep.target, display: ep.display, credentials: credentials.createInsecure(), options };
  if (ep.target.startsWith('unix://')) throw invalidArgument(`TLS is for TCP addresses, not ${ep.display}`);
  const host = endpointHost(ep);
  let verify: { checkServerIdentity?: (name: string, cert: PeerCertificate) => Error | undefined } = {};
  if (tls.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
  else if (isIP(host)) {
    // An IP address may not be sent as the TLS server name (RFC 6066; Node warns): send a placeholder
    // name instead, and still check the daemon's certificate against the address (its IP SAN).
    options['grpc.ssl_target_name_override'] = 'tscr-daemon';
    verify = { checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) };
  }
  return {
    target: ep.target,
    display: ep.display,
    credentials: credentials.createSsl(bytes(tls.ca), bytes(tls.key), bytes(tls.cert), verify),
    options,
  };
}

/** Insecure credentials: the UNIX socket is protected by file permissions. */
export function clientCredentials(): ChannelCredentials {
  return credentials.createInsecure();
}
