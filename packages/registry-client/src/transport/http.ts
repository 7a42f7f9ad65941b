import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { cancelled, isTscrError, trustedCaCertificates, unavailable } from '@tscr/api';

/** One HTTP request. `body` is sent as is; an iterable body is streamed with backpressure. */
export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

/** A response whose body has not been read yet: read `body` or call `discard()`. */
export interface HttpResponse {
  status: number;
  /** The URL that answered (after redirects). */
  url: string;
  /** A header by case-insensitive name; repeated headers are joined with `, `. */
  header(name: string): string | undefined;
  body: AsyncIterable<Uint8Array>;
  /** Drops the body and frees the connection. */
  discard(): void;
}

/** Sends HTTP requests. The one seam between the client and the network (tests wrap it to inject faults). */
export interface HttpTransport {
  /**
   * Sends `req`, following redirects of GET and HEAD (without the
   * `Authorization` header when the host changes).
   * @throws Unavailable (with `details.errno`) when the host cannot be reached; Cancelled when aborted.
   */
  send(req: HttpRequest): Promise<HttpResponse>;
}

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** Extra trusted CA certificates (PEM), added to Node's roots and `NODE_EXTRA_CA_CERTS`. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Sockets per host (a bound on concurrent requests to one registry). Default 8. */
  maxSockets?: number;
  /** Idle socket timeout in milliseconds. Default 60 s. */
  timeoutMs?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** An {@link HttpTransport} on Node's `http`/`https` modules with keep-alive agents. */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const maxSockets = options.maxSockets ?? 8;
  const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets }),
    https: new https.Agent({
      keepAlive: true,
      maxSockets,
      // Node's roots and NODE_EXTRA_CA_CERTS (even when the bin deferred it), plus the registry's own CAs.
      ca: trustedCaCertificates(rootCertificates, extra),
    }),
  };
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function send(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    for (let hop = 0; ; hop++) {
      const res = await once({ ...req, url, headers }, agents, timeoutMs);
      const location = res.header('location');
      const follow = (req.method === 'GET' || req.method === 'HEAD') && REDIRECTS.has(res.status) && location;
      if (!follow || hop >= MAX_REDIRECTS) return res;
      res.discard();
      const next = new URL(location, url);
      if (next.host !== new URL(url).host) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next.toString();
    }
  }
  return { send };
}

function once(
  req: HttpRequest,
  agents: { http: http.Agent; https: https.Agent },
  timeoutMs: number,
): Promise<HttpResponse> {
  const url = new URL(req.url);
  const secure = url.protocol === 'https:';
  const registry = url.host;
  if (req.signal?.aborted)
    return Promise.reject(cancelled(`request to ${registry} cancelled`, { details: { registry } }));
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.byteLength);
    const options = { method: req.method, headers, agent: secure ? agents.https : agents.http, timeout: timeoutMs };
    const cr = (secure ? https : http).request(url, options);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      if (req.signal?.aborted)
        reject(cancelled(`request to ${registry} cancelled`, { cause: err, details: { registry } }));
      // A failure of the body's source (say DataLoss from a verified stream) keeps its code.
      else reject(isTscrError(err) ? err : networkError(err, registry));
    };
    const onAbort = () => cr.destroy(new Error('aborted'));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    cr.on('timeout', () => cr.destroy(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })));
    cr.on('error', fail);
    cr.on('response', (res) => {
      settled = true;
      const release = () => req.signal?.removeEventListener('abort', onAbort);
      res.on('close', release);
      // A body nobody reads (a 401 that is only looked at, say) must not turn a later
      // abort into an unhandled 'error' event; a reader still sees errors through its iterator.
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        url: req.url,
        header(name) {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(', ') : v;
        },
        body: abortable(res, req.signal, registry),
        discard: () => {
          release();
          res.resume();
        },
      });
    });
    writeBody(cr, req.body).catch((err: unknown) => cr.destroy(err as Error));
  });
}

async function writeBody(cr: http.ClientRequest, body: HttpRequest['body']): Promise<void> {
  if (body === undefined) return void cr.end();
  if (body instanceof Uint8Array) return void cr.end(body);
  for await (const chunk of body) {
    if (!cr.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const cleanup = () => {
          cr.off('drain', onDrain);
          cr.off('close', onClose);
        };
        const onDrain = () => {
          cleanup();
          resolve();
        };
        const onClose = () => {
          cleanup();
          reject(new Error('connection closed while sending'));
        };
        cr.on('drain', onDrain);
        cr.on('close', onClose);
      });
    }
  }
  cr.end();
}

/** The response body; a failure mid-body becomes Cancelled (aborted) or Unavailable (network). */
async function* abortable(res: http.IncomingMessage, signal: AbortSignal | undefined, registry: string) {
  try {
    for await (const chunk of res) yield chunk as Uint8Array;
  } catch (err) {
    if (signal?.aborted) throw cancelled(`request to ${registry} cancelled`, { cause: err, details: { registry } });
    throw networkError(err, registry);
  } finally {
    if (!res.complete) res.destroy();
  }
}

function networkError(err: unknown, registry: string) {
  const errno = String((err as { code?: unknown })?.code ?? 'EIO');
  const why = err instanceof Error ? err.message : String(err);
  return unavailable(`registry ${registry} unreachable: ${why}`, { cause: err, details: { registry, errno } });
}

/**
 * Reads a whole body, refusing more than `limit` bytes.
 * @throws whatever `tooBig()` returns once the limit is passed.
 */
export async function readBody(body: AsyncIterable<Uint8Array>, limit: number, tooBig: () => Error): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.byteLength;
    if (n > limit) throw tooBig();
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
