/**
 * The gRPC side of `--authorization-plugin`: a grpc-js `Server` whose every
 * registered method first asks the authorizer, presenting the call as the
 * Docker API request that does the same (`grpc-map.ts`). A refusal ends the
 * call with PERMISSION_DENIED and the plugin's message before the handler
 * runs. Calls whose requests stream are checked on their first message; unary
 * answers are shown to the authorizer before they leave (as dockerd shows
 * buffered answers); streamed answers are not (as dockerd does for chunked
 * and hijacked ones).
 */
import {
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  Server,
  type ServerOptions,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import { toStatus } from '@tscr/api/grpc';
import { AUTHZ_MAX_BODY, type Authorizer, type AuthzRequest } from '@tscr/docker-api';
import { dockerEquivalent, dockerUri } from './grpc-map.js';
import { plain } from './docker-path.js';

/** What every kind of grpc-js call has that the guard uses. */
interface AnyCall {
  metadata: { get(key: string): unknown[] };
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] }; raw?: Uint8Array } };
  cancelled?: boolean;
}

/** The authorizer's view of a gRPC call. */
export function describeCall(grpcMethod: string, call: AnyCall, request: unknown): AuthzRequest {
  const eq = dockerEquivalent(grpcMethod, request);
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  const cn = cert?.subject?.CN;
  const user = (Array.isArray(cn) ? cn[0] : cn) ?? '';
  const agent = call.metadata.get('user-agent')[0];
  const headers: Record<string, string> = { 'X-Tscr-Grpc-Method': grpcMethod };
  if (typeof agent === 'string') headers['User-Agent'] = agent;
  const out: AuthzRequest = {
    user,
    userAuthNMethod: user ? 'TLS' : '',
    requestMethod: eq.method,
    requestUri: dockerUri(eq),
    requestHeaders: headers,
    ...(user && cert?.raw && { peerCertificates: [cert.raw] }),
  };
  if (eq.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    const body = Buffer.from(JSON.stringify(eq.body));
    if (body.length < AUTHZ_MAX_BODY) out.requestBody = body;
  }
  return out;
}

/**
 * The first message of a request stream, put back so the handler reads it too; undefined when none came.
 * Read through 'readable' (not 'data' + pause), so the stream is left as a fresh one: a handler may then
 * listen for 'data', iterate it, or pipe it.
 */
function peekFirst(stream: Readable): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onReadable = () => {
      const msg: unknown = stream.read();
      if (msg === null) return;
      done();
      stream.unshift(msg);
      resolve(msg);
    };
    const onEnd = () => {
      done();
      resolve(undefined);
    };
    const onError = (err: unknown) => {
      done();
      reject(err);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/** Ends a streaming call with the error's status (as `serverStreamHandler` does). */
function failStream(call: { emit(event: 'error', err: Error): unknown }, err: unknown): void {
  call.emit('error', Object.assign(new Error(), toStatus(err)));
}

/** A unary answer shown to the authorizer before it leaves; errors go out unshown (dockerd ignores them too). */
function checkedCallback<Res>(authorizer: Authorizer, req: AuthzRequest, cb: sendUnaryData<Res>): sendUnaryData<Res> {
  return ((err: unknown, value?: Res) => {
    if (err || value === undefined) {
      (cb as (e: unknown, v?: Res) => void)(err, value);
      return;
    }
    const body = Buffer.from(JSON.stringify(plain(value)));
    authorizer
      .authorizeResponse(req, {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json' },
        ...(body.length < AUTHZ_MAX_BODY && { body }),
      })
      .then(
        () => cb(null, value),
        (denied: unknown) => cb(toStatus(denied)),
      );
  }) as sendUnaryData<Res>;
}

/** A grpc-js handler of any kind (grpc-js's own `HandleCall`, which it does not export). */
type HandleCall<Req, Res> =
  | handleUnaryCall<Req, Res>
  | handleClientStreamingCall<Req, Res>
  | handleServerStreamingCall<Req, Res>
  | handleBidiStreamingCall<Req, Res>;

/** `handler` behind `authorizer`, for a method registered as `type`. */
export function guardHandler<Req, Res>(
  authorizer: Authorizer,
  grpcMethod: string,
  type: string,
  handler: HandleCall<Req, Res>,
): HandleCall<Req, Res> {
  const ask = (call: AnyCall, request: unknown) => {
    const req = describeCall(grpcMethod, call, request);
    return authorizer.authorizeRequest(req).then(() => req);
  };
  switch (type) {
    case 'unary':
      return ((call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
        ask(call, call.request).then(
          (req) => {
            if (!call.cancelled)
              (handler as (c: unknown, b: unknown) => void)(call, checkedCallback(authorizer, req, cb));
          },
          (err: unknown) => cb(toStatus(err)),
        );
      }) as HandleCall<Req, Res>;
    case 'serverStream':
      return ((call: ServerWritableStream<Req, Res>) => {
        ask(call, call.request).then(
          () => {
            if (!call.cancelled) (handler as (c: unknown) => void)(call);
          },
          (err: unknown) => failStream(call, err),
        );
      }) as HandleCall<Req, Res>;
    case 'clientStream':
      return ((call: Readable & AnyCall, cb: sendUnaryData<Res>) => {
        peekFirst(call)
          .then((first) => ask(call, first))
          .then(
            (req) => {
              if (!call.cancelled)
                (handler as (c: unknown, b: unknown) => void)(call, checkedCallback(authorizer, req, cb));
            },
            (err: unknown) => cb(toStatus(err)),
          );
      }) as HandleCall<Req, Res>;
    default:
      return ((call: Readable & AnyCall & { emit(event: 'error', err: Error): unknown }) => {
        peekFirst(call)
          .then((first) => ask(call, first))
          .then(
            () => {
              if (!call.cancelled) (handler as (c: unknown) => void)(call);
            },
            (err: unknown) => failStream(call, err),
          );
      }) as HandleCall<Req, Res>;
  }
}

/**
 * A grpc-js server whose every method (of every service added to it, now or
 * later) is guarded by `authorizer`. The daemon uses it in place of `Server`
 * when `--authorization-plugin` is given.
 */
export class AuthorizingServer extends Server {
  constructor(
    private readonly authorizer: Authorizer,
    options?: ServerOptions,
  ) {
    super(options);
  }

  override register<Req, Res>(
    name: string,
    handler: HandleCall<Req, Res>,
    serialize: (value: Res) => Buffer,
    deserialize: (bytes: Buffer) => Req,
    type: string,
  ): boolean {
    return super.register(name, guardHandler(this.authorizer, name, type, handler), serialize, deserialize, type);
  }
}
