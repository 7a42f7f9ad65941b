/**
 * The request context every route gets, and the small HTTP helpers they
 * share: bounded JSON bodies, query parsing, JSON and streamed answers with
 * backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '@tscr/api';
import { bodyTimeout, bodyTooLarge } from './errors.js';
import type { DockerApiBackends } from './types.js';

/** A hijacked (upgraded) connection: the raw socket and the bytes read past the request head. */
export interface Hijack {
  socket: Duplex;
  head: Buffer;
}

/** Everything a route handler gets. */
export interface Ctx {
  req: IncomingMessage;
  /** The response; absent for an upgraded request (see `hijack`). */
  res?: ServerResponse;
  /** Set when the client asked for `Upgrade: tcp`. */
  hijack?: Hijack;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version of the request as a minor number of 1.x (e.g. 41 for 1.41). */
  version: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  backends: DockerApiBackends;
  /** Largest JSON body accepted. */
  maxJsonBody: number;
  /** Time the client has to send a JSON body, in ms. */
  bodyTimeoutMs: number;
  logger: (message: string) => void;
  /** The body, when it was read before the handler ran (to show it to an authorizer). */
  body?: Buffer;
}

/** The response of a non-hijacked request. @throws Internal when called on a hijacked one. */
export function response(ctx: Ctx): ServerResponse {
  if (!ctx.res) throw new Error('response() on a hijacked request');
  return ctx.res;
}

/**
 * Reads the body up to `limit` bytes, within `ctx.bodyTimeoutMs`. A body past
 * the limit is read to its end and dropped (so the client, still sending, reads
 * the answer instead of a reset connection); one that does not end in time
 * closes the connection with the answer.
 * @throws 413 past the limit; 408 when the client sends too slowly.
 */
export async function readBody(ctx: Ctx, limit = ctx.maxJsonBody): Promise<Buffer> {
  if (ctx.body) {
    if (ctx.body.length > limit) throw bodyTooLarge(limit);
    return ctx.body;
  }
  const declared = Number(ctx.req.headers['content-length'] ?? '');
  let tooLarge = Number.isFinite(declared) && declared > limit;
  if (ctx.hijack) {
    if (tooLarge) throw bodyTooLarge(limit);
    return readHijackedBody(ctx.hijack, Number.isFinite(declared) ? declared : 0, ctx.signal);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Whatever the client sends on is not waited for: the answer closes the connection.
      ctx.res?.setHeader('Connection', 'close');
      reject(tooLarge ? bodyTooLarge(limit) : bodyTimeout(ctx.bodyTimeoutMs));
    }, ctx.bodyTimeoutMs);
  });
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    // Not `for await`: leaving it would destroy the socket before the answer goes out.
    const it = (ctx.req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (;;) {
      const next = it.next();
      next.catch(() => undefined);
      const r = await Promise.race([next, late]);
      if (r.done) break;
      size += r.value.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(r.value);
    }
    if (tooLarge) throw bodyTooLarge(limit);
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
  }
}

/** An upgraded request's body: `length` bytes from `head`, then the socket; the rest stays in `head`. */
async function readHijackedBody(h: Hijack, length: number, signal: AbortSignal): Promise<Buffer> {
  while (h.head.length < length) {
    if (signal.aborted) throw invalidArgument('client went away while sending the request body');
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        h.socket.pause();
        done(d);
      };
      const onEnd = () => done(null);
      const done = (v: Buffer | null) => {
        h.socket.off('data', onData);
        h.socket.off('end', onEnd);
        h.socket.off('close', onEnd);
        resolve(v);
      };
      h.socket.on('data', onData);
      h.socket.once('end', onEnd);
      h.socket.once('close', onEnd);
      h.socket.resume();
    });
    if (chunk === null) break;
    h.head = Buffer.concat([h.head, chunk]);
  }
  const body = h.head.subarray(0, length);
  h.head = h.head.subarray(length);
  return body;
}

/**
 * Parses a JSON body; an empty body is `undefined`.
 * @throws InvalidArgument (400) for malformed JSON; 413 past the limit.
 */
export async function readJson(ctx: Ctx): Promise<unknown> {
  const body = await readBody(ctx);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`malformed JSON in request body: ${(err as Error).message}`);
  }
}

/** Like {@link readJson} but the body must be a JSON object (or empty: `{}`). */
export async function readJsonObject(ctx: Ctx): Promise<Record<string, unknown>> {
  const v = await readJson(ctx);
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** Docker's boolean query values: `1`, `true`, `True` are true; absent is `fallback`. */
export function boolParam(q: URLSearchParams, name: string, fallback = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(v);
}

/** An integer query value. @throws InvalidArgument for a non-integer. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Docker's `filters` query value: `{"key":["v",…]}`, or the old
 * `{"key":{"v":true}}` shape. @throws InvalidArgument for malformed JSON.
 */
export function filtersParam(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw invalidArgument(`invalid filters: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidArgument('invalid filters');
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out.set(key, value.map(String));
    else if (typeof value === 'object' && value !== null)
      out.set(
        key,
        Object.entries(value)
          .filter(([, on]) => on)
          .map(([v]) => v),
      );
    else throw invalidArgument(`invalid filter ${JSON.stringify(key)}`);
  }
  return out;
}

/** Refuses filter keys outside `known` (dockerd: "invalid filter 'x'"). */
export function checkFilterKeys(filters: Map<string, string[]>, known: string[]): void {
  for (const key of filters.keys()) {
    if (!known.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
}

/** Sends `value` as JSON with `status`. */
export function sendJson(ctx: Ctx, status: number, value: unknown): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`);
  if (ctx.hijack) {
    writeRawHead(ctx.hijack.socket, status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    ctx.hijack.socket.end(body);
    return;
  }
  const res = response(ctx);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

/** Sends an empty answer (204, 201, 304…). */
export function sendEmpty(ctx: Ctx, status: number): void {
  if (ctx.hijack) {
    writeRawHead(ctx.hijack.socket, status, { 'Content-Length': 0 });
    ctx.hijack.socket.end();
    return;
  }
  const res = response(ctx);
  res.writeHead(status);
  res.end();
}

const REASONS: Record<number, string> = {
  101: 'UPGRADED',
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** Writes a status line and headers on a raw (hijacked) socket. */
export function writeRawHead(socket: Duplex, status: number, headers: Record<string, string | number>): void {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  socket.write(`${head}\r\n`);
}

/** Writes `chunk`, waiting for `drain` when the client reads slowly. Resolves false once the client is gone. */
export function writeChunk(out: NodeJS.WritableStream & { destroyed?: boolean }, chunk: Uint8Array | string) {
  if (out.destroyed) return Promise.resolve(false);
  if (out.write(chunk)) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      out.removeListener('drain', onDrain);
      out.removeListener('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

/**
 * Starts a streamed 200 answer (NDJSON progress, events, logs…) and returns
 * a writer with backpressure.
 */
export function startStream(ctx: Ctx, contentType: string): (chunk: Uint8Array | string) => Promise<boolean> {
  const res = response(ctx);
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  return (chunk) => writeChunk(res, chunk);
}
