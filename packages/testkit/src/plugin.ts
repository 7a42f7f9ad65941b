/**
 * A Docker legacy plugin for tests: a small Node HTTP server on a UNIX socket (`<dir>/<name>.sock`) or on a
 * loopback TCP port (announced by `<specDir>/<name>.spec`), answering `Plugin.Activate` and the handlers given.
 * It can be stopped and started again on the same address (a plugin restart).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { TEST_PREFIX } from './temp.js';

/** What a handler sees besides the request body. */
export interface TestPluginContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The method called (`VolumeDriver.Create`). */
  method: string;
}

/**
 * Answers one call. A returned value is sent as JSON with status 200; {@link rawReply} sends anything else;
 * {@link NO_REPLY} means the handler dealt with `ctx.res` itself (or never answers).
 */
export type TestPluginHandler = (body: unknown, ctx: TestPluginContext) => unknown | Promise<unknown>;

/** Returned by a handler that answers by itself (or hangs). */
export const NO_REPLY = Symbol('no reply');

/** A raw answer: `status` and body text, sent as is. */
export interface RawReply {
  readonly [RAW]: true;
  status: number;
  text: string;
}
const RAW = Symbol('raw reply');

/** A handler answer sent as is (garbage, error statuses). */
export function rawReply(status: number, text: string): RawReply {
  return { [RAW]: true, status, text };
}

/** Handlers for faults: a call that never answers, one whose connection is cut, one answered with garbage. */
export const faults = {
  hang: (): TestPluginHandler => () => NO_REPLY,
  crash: (): TestPluginHandler => (_b, ctx) => {
    ctx.req.socket.destroy();
    return NO_REPLY;
  },
  garbage:
    (text = '<html>not json'): TestPluginHandler =>
    () =>
      rawReply(200, text),
};

/** Options of {@link createTestPlugin}. */
export interface TestPluginOptions {
  /** Default `tscr-test-plugin-<random>`. */
  name?: string;
  /** What `Plugin.Activate` says; default `['VolumeDriver']`. */
  implements?: string[];
  /** Method → handler. A method without one answers 404 `{"Err": "…"}`. */
  handlers?: Record<string, TestPluginHandler>;
  /** Serve on `<socketDir>/<name>.sock` (or `<socketDir>/<name>/<name>.sock` with `nested`). */
  socketDir?: string;
  nested?: boolean;
  /** Serve on 127.0.0.1 (port 0) and write `<specDir>/<name>.spec` = `tcp://127.0.0.1:PORT`. */
  specDir?: string;
}

/** A running test plugin. */
export interface TestPlugin {
  readonly name: string;
  /** `unix:///…` or `tcp://127.0.0.1:PORT` (valid while running). */
  readonly address: string;
  /** Every call received, in order (`Plugin.Activate` included). */
  readonly calls: { method: string; body: unknown; contentType?: string; accept?: string }[];
  /** Handlers, replaceable while it runs. */
  handlers: Record<string, TestPluginHandler>;
  /** How many calls of `method` it received. */
  count(method: string): number;
  /** Stops serving (open connections are cut): the plugin is down. */
  stop(): Promise<void>;
  /** Serves again on the same socket path (TCP: a new port, and the spec file is rewritten). */
  start(): Promise<void>;
  /** Stops and removes its socket or spec file. */
  close(): Promise<void>;
}

/** Starts a test plugin. Give `socketDir` or `specDir` (temp dirs of the test). */
export async function createTestPlugin(opts: TestPluginOptions): Promise<TestPlugin> {
  const name = opts.name ?? `${TEST_PREFIX}-plugin-${randomBytes(3).toString('hex')}`;
  const impl = opts.implements ?? ['VolumeDriver'];
  const calls: TestPlugin['calls'] = [];
  let server: Server | undefined;
  let address = '';
  const sockets = new Set<Socket>();
  const socketPath = opts.socketDir
    ? opts.nested
      ? join(opts.socketDir, name, `${name}.sock`)
      : join(opts.socketDir, `${name}.sock`)
    : undefined;
  const specPath = opts.specDir ? join(opts.specDir, `${name}.spec`) : undefined;
  if (!socketPath && !specPath) throw new Error('createTestPlugin: give socketDir or specDir');

  const plugin: TestPlugin = {
    name,
    get address() {
      return address;
    },
    calls,
    handlers: { ...(opts.handlers ?? {}) },
    count: (method) => calls.filter((c) => c.method === method).length,
    stop,
    start,
    close: async () => {
      await stop();
      if (socketPath)
        await rm(opts.nested ? join(opts.socketDir as string, name) : socketPath, { recursive: true, force: true });
      if (specPath) await rm(specPath, { force: true });
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const method = (req.url ?? '/').slice(1);
    calls.push({ method, body, contentType: req.headers['content-type'], accept: req.headers.accept });
    const send = (status: number, out: string) => {
      res.writeHead(status, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
      res.end(out);
    };
    if (method === 'Plugin.Activate' && !plugin.handlers[method])
      return send(200, JSON.stringify({ Implements: impl }));
    const handler = plugin.handlers[method];
    if (!handler) return send(404, JSON.stringify({ Err: `${method}: not implemented by ${name}` }));
    try {
      const out = await handler(body, { req, res, method });
      if (out === NO_REPLY) return;
      if (out && typeof out === 'object' && RAW in out) return send((out as RawReply).status, (out as RawReply).text);
      send(200, JSON.stringify(out ?? {}));
    } catch (err) {
      send(500, JSON.stringify({ Err: (err as Error).message }));
    }
  }

  async function start(): Promise<void> {
    if (server) return;
    const s = createServer((req, res) => void serve(req, res));
    s.on('connection', (c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
    if (socketPath) {
      await mkdir(join(socketPath, '..'), { recursive: true });
      await rm(socketPath, { force: true });
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(socketPath, resolve));
      address = `unix://${socketPath}`;
    } else {
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
      address = `tcp://127.0.0.1:${(s.address() as AddressInfo).port}`;
      await writeFile(specPath as string, `${address}\n`);
    }
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    if (!s) return;
    server = undefined;
    for (const c of sockets) c.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await start();
  return plugin;
}
