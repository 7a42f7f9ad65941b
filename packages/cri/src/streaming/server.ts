/**
 * The streaming server Exec, Attach and PortForward point clients at: a
 * loopback HTTP server whose one-time URLs (`/exec/<token>`…) are upgraded
 * to SPDY/3.1 and speak Kubernetes' remote command protocol
 * (`v4.channel.k8s.io` … `channel.k8s.io`) or `portforward.k8s.io`.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '@tscr/api';
import type { CriBackends } from '../types.js';
import { forwardPorts } from './portforward.js';
import { runRemoteCommand } from './remotecommand.js';
import { SpdyConnection } from './spdy.js';
import { ChannelWebSocket, WEBSOCKET_PROTOCOL, websocketAccept, websocketProtocols } from './websocket.js';

/** What a URL was issued for. */
export type StreamRequest =
  | {
      kind: 'exec' | 'attach';
      containerId: string;
      cmd: string[];
      tty: boolean;
      stdin: boolean;
      stdout: boolean;
      stderr: boolean;
    }
  | { kind: 'portforward'; podId: string; ports: number[] };

/** Remote command protocol versions, most preferred first. */
export const REMOTE_COMMAND_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** A URL not used within this time expires (kubelet's default is 1 minute too). */
const TOKEN_TTL_MS = 60_000;

function offered(req: IncomingMessage): string[] {
  const raw = req.headers['x-stream-protocol-version'];
  return (Array.isArray(raw) ? raw : [raw ?? ''])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Serves the one-time streaming URLs. */
export class StreamingServer {
  private server: Server | undefined;
  private base = '';
  private readonly pending = new Map<string, { req: StreamRequest; timer: NodeJS.Timeout }>();
  private readonly connections = new Set<SpdyConnection | ChannelWebSocket>();

  constructor(
    private readonly b: CriBackends,
    private readonly log: (message: string) => void,
  ) {}

  /** Listens on `host:port` (loopback); resolves with the base URL. */
  async listen(address: string): Promise<string> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon) || '127.0.0.1';
    const port = Number(address.slice(colon + 1) || 0);
    if (!Number.isInteger(port)) throw invalidArgument(`invalid streaming address ${address}`);
    const server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('this endpoint wants an upgrade to SPDY/3.1\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = server.address() as AddressInfo;
    this.base = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    return this.base;
  }

  /** A one-time URL for `req`, valid for a minute. */
  register(req: StreamRequest): string {
    const token = randomBytes(12).toString('base64url');
    const timer = setTimeout(() => this.pending.delete(token), TOKEN_TTL_MS);
    timer.unref();
    this.pending.set(token, { req, timer });
    return `${this.base}/${req.kind}/${token}`;
  }

  async close(): Promise<void> {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const c of this.connections) c.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private forget(token: string): void {
    const entry = this.pending.get(token);
    if (entry) clearTimeout(entry.timer);
    this.pending.delete(token);
  }

  /** Exec and attach over a WebSocket (`v5.channel.k8s.io`). */
  private serveWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, request: StreamRequest): void {
    if (request.kind === 'portforward') return;
    socket.write(websocketAccept(req, WEBSOCKET_PROTOCOL));
    const ws = new ChannelWebSocket(socket);
    this.connections.add(ws);
    ws.on('close', () => this.connections.delete(ws));
    if (head.length > 0) socket.unshift(head);
    runRemoteCommand(this.b, ws, request, WEBSOCKET_PROTOCOL)
      .catch((err: unknown) => this.log(`cri streaming ${request.kind}: ${(err as Error).message}`))
      .finally(() => ws.close());
    ws.open();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string, message: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}\n`);
    };
    const [, kind, token] = (req.url ?? '').split('?')[0]!.split('/');
    const entry = token ? this.pending.get(token) : undefined;
    if (!entry || entry.req.kind !== kind) {
      refuse('404 Not Found', 'unknown or expired streaming URL');
      return;
    }
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket' && entry.req.kind !== 'portforward') {
      if (!websocketProtocols(req).includes(WEBSOCKET_PROTOCOL)) {
        refuse('400 Bad Request', `WebSocket streaming needs ${WEBSOCKET_PROTOCOL}`);
        return;
      }
      this.forget(token!);
      this.serveWebSocket(req, socket, head, entry.req);
      return;
    }
    if (upgrade !== 'spdy/3.1') {
      refuse('400 Bad Request', 'want an upgrade to SPDY/3.1 (or a WebSocket for exec and attach)');
      return;
    }
    const want = entry.req.kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : REMOTE_COMMAND_PROTOCOLS;
    const protocol = want.find((p) => offered(req).includes(p)) ?? (offered(req).length === 0 ? want.at(-1) : '');
    if (!protocol) {
      refuse('403 Forbidden', `none of the offered protocols is supported (want ${want[0]})`);
      return;
    }
    this.forget(token!);
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
    );
    const conn = new SpdyConnection(socket);
    this.connections.add(conn);
    conn.on('close', () => this.connections.delete(conn));
    conn.on('protocolError', (err: Error) => this.log(`cri streaming: ${err.message}`));
    if (head.length > 0) socket.unshift(head);
    const request = entry.req;
    const run =
      request.kind === 'portforward'
        ? forwardPorts(this.b, conn, request)
        : runRemoteCommand(this.b, conn, request, protocol);
    run
      .catch((err: unknown) => this.log(`cri streaming ${request.kind}: ${(err as Error).message}`))
      .finally(() => conn.close());
  }
}
