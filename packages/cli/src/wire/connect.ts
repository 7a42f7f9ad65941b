/**
 * Opens the HTTP/2 connection of a gRPC channel: the CLI's own client
 * (h2/session.ts) over `node:net`, or over `node:tls` (ALPN `h2`) for a TLS
 * daemon. `TSCR_WIRE=node-http2` uses `node:http2` instead (what the CLI did
 * before; the wire tests run against both). TLS and `node:http2` are loaded
 * only when used.
 */
import type { ClientHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { H2Session } from './h2/session.js';
import { mark } from '../startup-trace.js';

/** A client's HTTP/2 connection, whichever implementation made it (the calls use only this much of it). */
export type WireSession = H2Session;
/** One of its streams. */
export type WireStream = ReturnType<H2Session['request']>;

/** What `credentials.createSsl` was given (grpc-js's argument order). */
export interface SslArgs {
  ca: Buffer | null;
  key: Buffer | null;
  cert: Buffer | null;
  verify: { checkServerIdentity?: (name: string, cert: PeerCertificate) => Error | undefined };
}

/** A channel's security: plain (a UNIX socket or insecure TCP) or TLS. */
export type Security = { kind: 'insecure' } | { kind: 'ssl'; ssl: SslArgs };

/** What a connection needs of a channel. */
export interface ConnectTarget {
  /** grpc-js's target: `unix:///path` or `host:port`. */
  target: string;
  security: Security;
  /** The TLS server name to send and check (`grpc.ssl_target_name_override`). */
  serverName?: string;
}

function hostPort(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  return { host: target.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(target.slice(colon + 1)) };
}

function tlsOptions(ch: ConnectTarget, ssl: SslArgs, isIP: (s: string) => number): ConnectionOptions {
  const { ca, key, cert, verify } = ssl;
  const name = ch.serverName ?? hostPort(ch.target).host;
  const check: typeof import('node:tls').checkServerIdentity = require('node:tls').checkServerIdentity;
  return {
    ...(ca && { ca }),
    ...(key && { key }),
    ...(cert && { cert }),
    // An IP address is never sent as the server name (RFC 6066), as grpc-js does.
    ...(!isIP(name) && { servername: name }),
    checkServerIdentity: verify.checkServerIdentity ?? ((_name, peer) => check(name, peer)),
  };
}

function nodeHttp2(ch: ConnectTarget): WireSession {
  const http2: typeof import('node:http2') = require('node:http2');
  const net: typeof import('node:net') = require('node:net');
  let session: ClientHttp2Session;
  if (ch.target.startsWith('unix://')) {
    const path = ch.target.slice('unix://'.length);
    session = http2.connect('http://localhost', { createConnection: () => net.connect(path) });
  } else if (ch.security.kind === 'insecure') session = http2.connect(`http://${ch.target}`);
  else session = http2.connect(`https://${ch.target}`, tlsOptions(ch, ch.security.ssl, net.isIP));
  return session as unknown as WireSession;
}

/** A new connection to `ch`'s daemon. Failures reach the calls as stream errors and the session's 'error'. */
export function openSession(ch: ConnectTarget): WireSession {
  if (process.env.TSCR_WIRE === 'node-http2') return nodeHttp2(ch);
  const net: typeof import('node:net') = require('node:net');
  if (ch.target.startsWith('unix://')) {
    const socket = net.connect(ch.target.slice('unix://'.length));
    socket.once('connect', () => mark('connected (the request goes out)'));
    return new H2Session(socket, { scheme: 'http', authority: 'localhost' });
  }
  const { host, port } = hostPort(ch.target);
  if (ch.security.kind === 'insecure') {
    const socket: Socket = net.connect({ host, port });
    socket.setNoDelay(true);
    return new H2Session(socket, { scheme: 'http', authority: ch.target });
  }
  const tls: typeof import('node:tls') = require('node:tls');
  const socket = tls.connect({ host, port, ALPNProtocols: ['h2'], ...tlsOptions(ch, ch.security.ssl, net.isIP) });
  socket.setNoDelay(true);
  socket.once('secureConnect', () => {
    if (socket.alpnProtocol !== 'h2') socket.destroy(new Error('The daemon did not agree to HTTP/2 (ALPN)'));
  });
  return new H2Session(socket, { scheme: 'https', authority: ch.target });
}
