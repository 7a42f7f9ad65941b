/**
 * The HTTP server of the Docker Engine API: version prefixes, `_ping`,
 * routing, the error mapping, hijacked (upgraded) connections, and
 * listening on a UNIX socket (mode 0600) or on TCP with mutual TLS only.
 */
import { chmod, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '@tscr/api';
import { runAuthorized } from './authz.js';
import { errorBody, httpStatus, pageNotFound } from './errors.js';
import { type Ctx, writeRawHead } from './http.js';
import { archiveRoutes } from './routes/archive.js';
import { buildRoutes } from './routes/build.js';
import { containerRoutes } from './routes/containers.js';
import { controlRoutes } from './routes/control.js';
import { streamRoutes } from './routes/streams.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import type { Route } from './routes/route.js';
import { systemRoutes } from './routes/system.js';
import { volumeRoutes } from './routes/volumes.js';
import { pluginRoutes } from './routes/plugins.js';
import type { DockerApiBackends, DockerApiConnections, DockerApiOptions, DockerApiServer } from './types.js';
import { MAX_API_VERSION, MAX_MINOR, MIN_API_VERSION, MIN_MINOR } from './versions.js';

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const rest = seg.endsWith('*');
      names.push(seg.slice(1, rest ? -1 : undefined));
      return rest ? '(.+?)' : '([^/]+)';
    })
    .join('/');
  return { ...route, regex: new RegExp(`^${pattern}$`), names };
}

function allRoutes(): CompiledRoute[] {
  return [
    ...systemRoutes,
    ...containerRoutes,
    ...streamRoutes,
    ...controlRoutes,
    ...execRoutes,
    ...archiveRoutes,
    ...imageRoutes,
    ...buildRoutes,
    ...networkRoutes,
    ...volumeRoutes,
    ...pluginRoutes,
  ].map(compile);
}

/** Headers of every `_ping` answer. */
function pingHeaders(): Record<string, string> {
  return {
    'Api-Version': MAX_API_VERSION,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Swarm: 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
  };
}

function isPing(method: string, path: string): boolean {
  return path === '/_ping' && (method === 'GET' || method === 'HEAD');
}

/** `GET|HEAD /_ping`: answered before routing (no version check), but authorized like any route, as dockerd does. */
const PING = compile({
  method: 'GET',
  path: '/_ping',
  handler: async (ctx) => {
    if (!ctx.res) throw pageNotFound();
    ctx.res.writeHead(200, { ...pingHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  },
});

/** Splits `/v1.41/containers/json` into version 41 and the path; unversioned paths get the newest. */
export function splitVersion(path: string): { minor: number; path: string } {
  const m = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(path);
  if (!m) return { minor: MAX_MINOR, path };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const asked = `${m[1]}.${m[2]}`;
  if (major < 1 || (major === 1 && minor < MIN_MINOR))
    throw invalidArgument(
      `client version ${asked} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  if (major > 1 || minor > MAX_MINOR)
    throw invalidArgument(`client version ${asked} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  return { minor, path: m[3] ?? '/' };
}

/** A path segment with its %-escapes decoded. @throws InvalidArgument for a malformed escape (`%ZZ`). */
function decodePathParam(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (err) {
    throw invalidArgument(`malformed escape in the request path: ${JSON.stringify(text)}`, { cause: err });
  }
}

/** Creates the server; call `listen` to serve. */
export class DockerApi {
  private readonly routes = allRoutes();
  private readonly hijacked = new Set<Duplex>();
  private readonly logger: (message: string) => void;
  /** Logs every request (`TSCR_DOCKER_API_TRACE=1`), for finding what a client asks for. */
  private readonly trace = process.env.TSCR_DOCKER_API_TRACE === '1';

  constructor(
    private readonly backends: DockerApiBackends,
    private readonly opts: DockerApiOptions = {},
  ) {
    this.logger = opts.logger ?? ((m) => console.error(m));
  }

  /** Handles one plain request. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    void this.dispatch(req, res, undefined, abort.signal);
  }

  /** Handles one request that asked for `Upgrade: tcp` (attach, exec start). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const abort = new AbortController();
    this.hijacked.add(socket);
    // Clients half-close their side once stdin is done (the docker CLI at once when there is none):
    // output must still flow.
    (socket as Duplex & { allowHalfOpen: boolean }).allowHalfOpen = true;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.hijacked.delete(socket);
      abort.abort();
    });
    void this.dispatch(req, undefined, { socket, head }, abort.signal);
  }

  /** Ends every hijacked stream (plain requests end with the HTTP server). */
  closeHijacked(): void {
    for (const s of this.hijacked) s.destroy();
    this.hijacked.clear();
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    hijack: Ctx['hijack'],
    signal: AbortSignal,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const method = req.method ?? 'GET';
    if (this.trace) this.logger(`docker api: ${method} ${req.url}${hijack ? ' (upgrade)' : ''}`);
    try {
      const { minor, path } = splitVersion(url.pathname);
      const found = isPing(method, path) ? { route: PING, params: {} } : this.match(method, path);
      if (!found) throw pageNotFound();
      const ctx: Ctx = {
        req,
        params: found.params,
        query: url.searchParams,
        version: minor,
        signal,
        backends: this.backends,
        maxJsonBody: this.opts.maxJsonBody ?? 4 * 1024 * 1024,
        bodyTimeoutMs: this.opts.bodyTimeoutMs ?? 60_000,
        logger: this.logger,
      };
      if (res) ctx.res = res;
      if (hijack) ctx.hijack = hijack;
      const authorizer = this.opts.authorizer;
      if (authorizer) await runAuthorized(authorizer, ctx, method, found.route.handler);
      else await found.route.handler(ctx);
    } catch (err) {
      this.fail(res, hijack, err, `${method} ${url.pathname}`);
    }
  }

  private match(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodePathParam(m[i + 1] ?? '');
      });
      return { route, params };
    }
    return undefined;
  }

  private fail(res: ServerResponse | undefined, hijack: Ctx['hijack'], err: unknown, what: string): void {
    const status = httpStatus(err);
    if (this.trace) this.logger(`docker api: ${what}: ${status} ${errorBody(err).message}`);
    if (status >= 500 && status !== 501) this.logger(`docker api: ${what}: ${errorBody(err).message}`);
    const body = Buffer.from(`${JSON.stringify(errorBody(err))}\n`);
    if (hijack) {
      if (hijack.socket.destroyed) return;
      writeRawHead(hijack.socket, status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      hijack.socket.end(body);
      return;
    }
    if (!res || res.destroyed) return;
    if (res.headersSent) {
      // The answer is under way (a stream): the client sees it cut short.
      res.destroy();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  }
}

/** `unix:///p`, `/p` → a socket path; `tcp://h:p`, `h:p` → host and port. */
export function parseAddress(address: string): { path: string } | { host: string; port: number } {
  const a = address.trim();
  if (a.startsWith('unix://')) return { path: a.slice('unix://'.length) };
  if (a.startsWith('/')) return { path: a };
  const hostPort = a.startsWith('tcp://') ? a.slice('tcp://'.length) : a;
  const colon = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidArgument(
      `invalid Docker API address ${JSON.stringify(address)} (want unix:///path or tcp://host:port)`,
    );
  return { host: hostPort.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw invalidArgument(`${path} exists and is not a socket`);
  await unlink(path);
}

/** The API's HTTP server (HTTPS with mutual TLS when given the PEM bytes of cert, key and CA), not listening. */
function httpServer(api: DockerApi, opts: DockerApiOptions, tls?: Buffer[]): Server {
  const headersTimeout = opts.headersTimeoutMs ?? 60_000;
  // Node checks the headers deadline at this interval (30 s by default).
  const serverOptions = {
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
  };
  const [cert, key, ca] = tls ?? [];
  const server = tls
    ? createHttpsServer({
        ...serverOptions,
        cert,
        key,
        ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      })
    : createServer(serverOptions);
  // No deadline on whole requests (a build context or an image may take long to upload), but one on the
  // headers, so a client sending a byte now and then is cut; JSON bodies have theirs (see readBody).
  server.requestTimeout = 0;
  server.headersTimeout = headersTimeout;
  server.on('request', (req, res) => api.handleRequest(req, res));
  server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));
  server.on('clientError', (_err, socket: Socket) => socket.destroy());
  return server;
}

/**
 * Serves the Docker Engine API over `backends` at `address`: a UNIX socket
 * (created with mode 0600, root only) or TCP, which needs `opts.tls`
 * (mutual TLS: clients must present a certificate signed by `tls.ca`).
 * @throws InvalidArgument for TCP without TLS or a bad address.
 */
export async function createDockerApiServer(
  backends: DockerApiBackends,
  address: string,
  opts: DockerApiOptions = {},
): Promise<DockerApiServer> {
  const target = parseAddress(address);
  if (!('path' in target) && !opts.tls)
    throw invalidArgument(
      `refusing to serve the Docker API on ${address} without mutual TLS (--docker-tlscert, --docker-tlskey, --docker-tlscacert)`,
    );
  const api = new DockerApi(backends, opts);
  const tls =
    'path' in target || !opts.tls
      ? undefined
      : await Promise.all([opts.tls.cert, opts.tls.key, opts.tls.ca].map((p) => readFile(p)));
  const server = httpServer(api, opts, tls);

  let bound: string;
  if ('path' in target) {
    await mkdir(dirname(target.path), { recursive: true, mode: 0o711 });
    await removeStaleSocket(target.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(target.path, 0o600);
    bound = `unix://${target.path}`;
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.port, target.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : target.port;
    bound = `tcp://${target.host.includes(':') ? `[${target.host}]` : target.host}:${port}`;
  }
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        api.closeHijacked();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The Docker Engine API served on connections accepted elsewhere: the daemon
 * listens on the API's UNIX socket itself and loads this package on the first
 * connection (an idle daemon holds none of its code), handing that connection
 * and every later one to `accept`. Same routes and deadlines as
 * {@link createDockerApiServer}; plain HTTP (TLS is for TCP listeners).
 */
export function createDockerApiConnections(
  backends: DockerApiBackends,
  opts: DockerApiOptions = {},
): DockerApiConnections {
  const api = new DockerApi(backends, opts);
  const server = httpServer(api, opts);
  // Node starts checking the headers deadline of a server's connections when it starts listening; this one
  // never listens itself, so it is told it does.
  server.emit('listening');
  return {
    accept(connection) {
      server.emit('connection', connection);
      // A connection accepted paused flows only now, into the parser that took it.
      connection.resume();
    },
    close: () =>
      new Promise<void>((resolve) => {
        api.closeHijacked();
        // Not listening: close() only stops the deadline checks and calls back with ERR_SERVER_NOT_RUNNING.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
