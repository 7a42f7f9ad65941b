/**
 * `portforward.k8s.io` over SPDY: for every connection the client forwards
 * it opens an `error` and a `data` stream carrying the same `requestid` and
 * `port`; the server dials that port on localhost inside the pod's network
 * namespace and copies bytes both ways. Node cannot enter a namespace, so
 * the dial is a small helper in it: `nsenter -t <infra pid> -n busybox nc`.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { CriBackends } from '../types.js';
import type { StreamRequest } from './server.js';
import type { ChannelConnection, ChannelStream } from './channels.js';

type Forward = Extract<StreamRequest, { kind: 'portforward' }>;

/** Where the host's busybox is (busybox-static is installed by the set-up). */
const BUSYBOX = process.env.TSCR_BUSYBOX ?? 'busybox';

/** A connection to `port` on the pod's loopback: stdin/stdout of the helper, or a socket for host-network pods. */
async function dial(
  b: CriBackends,
  podId: string,
  port: number,
): Promise<{ input: Writable; output: Readable; failed: Promise<string> }> {
  const info = await b.containers.inspect(podId);
  if (!info.state.running || info.state.pid <= 0) throw new Error(`pod sandbox ${podId} is not running`);
  if (info.hostConfig.networkMode === 'host') {
    const socket: Duplex = connect(port, '127.0.0.1');
    const failed = new Promise<string>((resolve) => {
      socket.once('error', (e) => resolve(e.message));
      socket.once('close', () => resolve(''));
    });
    return { input: socket, output: socket, failed };
  }
  const child = spawn('nsenter', ['-t', String(info.state.pid), '-n', BUSYBOX, 'nc', '127.0.0.1', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const failed = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('close', (code) =>
      resolve(code === 0 ? '' : `failed to connect to localhost:${port} in the pod: ${stderr.trim() || code}`),
    );
  });
  child.stdin.on('error', () => undefined);
  return { input: child.stdin, output: child.stdout, failed };
}

/** Copies one forwarded connection until either side ends. */
async function serve(
  b: CriBackends,
  podId: string,
  data: ChannelStream,
  error: ChannelStream | undefined,
  allowed: number[],
) {
  const port = Number(data.headers.port);
  try {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${data.headers.port}`);
    if (allowed.length > 0 && !allowed.includes(port)) throw new Error(`port ${port} was not asked for`);
    const conn = await dial(b, podId, port);
    data.input.pipe(conn.input);
    for await (const chunk of conn.output as AsyncIterable<Buffer>) await data.write(chunk);
    const problem = await conn.failed;
    if (problem) await error?.write(Buffer.from(problem));
  } catch (err) {
    await error?.write(Buffer.from((err as Error).message));
  }
  await data.end();
  await error?.end();
}

/** Serves forwarded connections until the client closes the connection. */
export function forwardPorts(b: CriBackends, conn: ChannelConnection, req: Forward): Promise<void> {
  return new Promise((resolve) => {
    const byRequest = new Map<string, { data?: ChannelStream; error?: ChannelStream }>();
    conn.on('stream', (s: ChannelStream) => {
      const key = s.headers.requestid ?? s.headers.port ?? '';
      const pair = byRequest.get(key) ?? {};
      if (s.headers.streamtype === 'error') pair.error = s;
      else if (s.headers.streamtype === 'data') pair.data = s;
      byRequest.set(key, pair);
      // client-go opens the error stream first, then the data stream.
      if (pair.data) {
        byRequest.delete(key);
        void serve(b, req.podId, pair.data, pair.error, req.ports);
      }
    });
    conn.once('close', () => resolve());
  });
}
