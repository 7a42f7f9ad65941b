/**
 * Authorization of Docker API requests, as dockerd's authz middleware does it:
 * the request (method, URI, headers, a small JSON body) goes to an
 * {@link Authorizer} before the handler runs; a buffered answer goes to it
 * again before the client sees it. Hijacked (attach, exec) and streamed
 * (logs, events, pull progress) answers are checked only at the request, as
 * dockerd documents it. The authorizer itself (a chain of authz plugins)
 * lives with the daemon; this module knows only its contract.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { errorBody, httpStatus } from './errors.js';
import { type Ctx, readBody } from './http.js';
import type { Authorizer, AuthzRequest } from './types.js';

/** Bodies at least this large are not shown to authorizers (dockerd's 1 MiB). */
export const AUTHZ_MAX_BODY = 1024 * 1024;

/** Headers never shown to authorizers: they carry credentials. */
const SECRET_HEADERS = new Set(['authorization', 'x-registry-auth', 'x-registry-config']);

/** `content-type` → `Content-Type`, as Go's net/http names headers. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');
}

/** Headers as authorizers see them: canonical names, the last value of each, no credentials. */
export function authzHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADERS.has(name.toLowerCase())) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[canonicalHeaderName(name)] = String(last);
  }
  return out;
}

/** `/auth`, `/v1.47/auth…`: dockerd's test for the login endpoint (with or without a scheme and host). */
const AUTH_ENDPOINT = /^[^/]*\/(v\d[\d.]*\/)?auth/;

/** dockerd shows a body only when it is JSON, and never for the login endpoint (it carries a password). */
export function sendsBody(uri: string, contentType: string | undefined): boolean {
  const path = uri.split('?')[0] ?? '';
  if (AUTH_ENDPOINT.test(path)) return false;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
}

/** A buffered answer held back from the client until the authorizer has seen it. */
interface Held {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/**
 * Holds back what a handler answers on `res` until `check` allows it. An answer
 * that streams (`write`, `flushHeaders`) is let through at once, unchecked, as
 * dockerd does for chunked answers. `settled` resolves once the answer (or the
 * refusal that replaces it) has been handed to the socket.
 */
export function holdResponse(
  res: ServerResponse,
  check: (held: Held) => Promise<void>,
  refuse: (err: unknown) => Held,
): { settled: () => Promise<void>; release: () => void } {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end, flushHeaders: res.flushHeaders };
  let head: { status: number; headers: OutgoingHttpHeaders } | undefined;
  let pending: Promise<void> = Promise.resolve();
  const release = () => {
    Object.assign(res, original);
  };
  const flushHead = () => {
    release();
    if (head) res.writeHead(head.status, head.headers);
  };
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((r) => typeof r === 'object' && r !== null) as OutgoingHttpHeaders | undefined;
    head = { status, headers: { ...headers } };
    return res;
  }) as ServerResponse['writeHead'];
  res.flushHeaders = () => {
    flushHead();
    res.flushHeaders();
  };
  res.write = ((...args: Parameters<ServerResponse['write']>) => {
    flushHead();
    return res.write(...args);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    const body = typeof chunk === 'string' || chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.alloc(0);
    const callback = [chunk, ...rest].find((r) => typeof r === 'function') as (() => void) | undefined;
    const held: Held = {
      status: head?.status ?? res.statusCode,
      headers: { ...res.getHeaders(), ...head?.headers },
      body,
    };
    release();
    pending = check(held).then(
      () => send(res, head ? { ...held, headers: head.headers } : { ...held, headers: {} }, callback),
      (err: unknown) => send(res, refuse(err), callback),
    );
    return res;
  }) as ServerResponse['end'];
  return { settled: () => pending, release };
}

function send(res: ServerResponse, held: Held, callback?: () => void): void {
  if (res.destroyed) return;
  res.writeHead(held.status, held.headers);
  res.end(held.body, callback);
}

/** The client's identity as dockerd takes it: the common name of its TLS certificate. */
function identityOf(req: IncomingMessage): Pick<AuthzRequest, 'user' | 'userAuthNMethod' | 'peerCertificates'> {
  const socket = req.socket as Partial<TLSSocket>;
  const cert = socket.getPeerCertificate?.();
  const cn = cert?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name || !cert?.raw) return { user: '', userAuthNMethod: '' };
  return { user: name, userAuthNMethod: 'TLS', peerCertificates: [cert.raw] };
}

/** The authorizer's view of `ctx`'s request; reads a small JSON body first (kept in `ctx.body` for the handler). */
async function describeRequest(ctx: Ctx, method: string): Promise<AuthzRequest> {
  const uri = ctx.req.url ?? '/';
  const headers = ctx.req.headers;
  const out: AuthzRequest = {
    ...identityOf(ctx.req),
    requestMethod: method,
    requestUri: uri,
    requestHeaders: authzHeaders(headers),
  };
  const declared = Number(headers['content-length'] ?? '');
  const chunked = /\bchunked\b/i.test(String(headers['transfer-encoding'] ?? ''));
  const sized = Number.isFinite(declared) && declared > 0;
  if (sendsBody(uri, headers['content-type']) && (sized || chunked) && !(sized && declared >= AUTHZ_MAX_BODY)) {
    ctx.body = await readBody(ctx);
    if (ctx.body.length < AUTHZ_MAX_BODY) out.requestBody = ctx.body;
  }
  return out;
}

/** A refusal as the client gets it: dockerd's status and `{"message": …}`. */
function refusal(err: unknown): Held {
  const body = Buffer.from(`${JSON.stringify(errorBody(err))}\n`);
  return {
    status: httpStatus(err),
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
    body,
  };
}

/**
 * Runs `handler` under `authorizer`: the request is checked first (a refusal
 * throws, and the caller answers it as any error); a buffered answer is checked
 * before it leaves, and replaced by the refusal when it is denied.
 */
export async function runAuthorized(
  authorizer: Authorizer,
  ctx: Ctx,
  method: string,
  handler: (ctx: Ctx) => Promise<void>,
): Promise<void> {
  const request = await describeRequest(ctx, method);
  await authorizer.authorizeRequest(request, { signal: ctx.signal });
  if (!ctx.res) return handler(ctx); // hijacked: only the request is checked
  const uri = request.requestUri;
  const held = holdResponse(
    ctx.res,
    (h) => {
      const headers = authzHeaders(h.headers);
      return authorizer.authorizeResponse(
        request,
        {
          statusCode: h.status,
          headers,
          ...(sendsBody(uri, headers['Content-Type']) && { body: h.body }),
        },
        { signal: ctx.signal },
      );
    },
    refusal,
  );
  try {
    await handler(ctx);
  } catch (err) {
    held.release();
    throw err;
  }
  await held.settled();
}
