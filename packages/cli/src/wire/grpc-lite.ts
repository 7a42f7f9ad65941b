/**
 * What the `tscr` bin's bundle gets for `@grpc/grpc-js` (tsup.config.ts points
 * every import of it here): the few values tscr's client code uses, where the
 * generated clients make unary, server-streaming and bidirectional calls over
 * `node:http2` (call-http2.ts, stream-http2.ts) and everything else
 * (client-streaming calls, calls with metadata or options, servers) is handed
 * to the real grpc-js, loaded on first use. Loading grpc-js costs a `tscr` run
 * ~12 ms and its channel machinery more per call.
 * Only the bundle uses this module: the packages themselves import grpc-js.
 */
import { Duplex } from 'node:stream';
import type * as Grpc from '@grpc/grpc-js';
import { mark } from '../startup-trace.js';
import {
  type LiteCall,
  type LiteChannel,
  type LiteServiceError,
  type Security,
  type SslArgs,
  acquire,
  serviceError,
  unaryCall,
} from './call-http2.js';
import { LiteStream } from './stream-http2.js';

type GrpcModule = typeof Grpc;
let real: GrpcModule | undefined;

/** The real grpc-js, evaluated on the first call that needs it (the bundler keeps this require lazy). */
function grpc(): GrpcModule {
  if (!real) {
    real = require('@grpc/grpc-js') as GrpcModule;
    mark('grpc-js loaded');
  }
  return real;
}

/** gRPC status codes, as grpc-js's `status` enum (the numbers are the gRPC spec's). */
export const status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** Channel credentials that remember how they were made, so they can become grpc-js's when a call needs it. */
export class LiteCredentials {
  private made: Grpc.ChannelCredentials | undefined;
  constructor(readonly security: Security) {}

  /** The same credentials for grpc-js (made once). */
  real(): Grpc.ChannelCredentials {
    if (!this.made) {
      const s = this.security;
      this.made =
        s.kind === 'insecure'
          ? grpc().credentials.createInsecure()
          : grpc().credentials.createSsl(s.ssl.ca, s.ssl.key, s.ssl.cert, s.ssl.verify);
    }
    return this.made;
  }
}

/** `credentials.createInsecure` / `createSsl` as grpc-js has them. */
export const credentials = {
  createInsecure: () => new LiteCredentials({ kind: 'insecure' }),
  createSsl: (
    ca?: Buffer | null,
    key?: Buffer | null,
    cert?: Buffer | null,
    verify: SslArgs['verify'] = {},
  ): LiteCredentials =>
    new LiteCredentials({ kind: 'ssl', ssl: { ca: ca ?? null, key: key ?? null, cert: cert ?? null, verify } }),
};

/** A class whose instances (and static members) are grpc-js's own, loaded when first used. */
function forward<K extends 'Metadata' | 'Server' | 'ServerCredentials' | 'InterceptingCall'>(name: K): GrpcModule[K] {
  const Forwarded = function Forwarded(this: unknown, ...args: unknown[]) {
    const Real = grpc()[name] as unknown as new (...a: unknown[]) => object;
    return new Real(...args);
  };
  return new Proxy(Forwarded, {
    get: (_target, prop) => {
      const Real = grpc()[name];
      const value = Reflect.get(Real, prop) as unknown;
      return typeof value === 'function' && prop !== 'prototype' ? value.bind(Real) : value;
    },
  }) as unknown as GrpcModule[K];
}

/** grpc-js's `Metadata` (servers' error statuses carry one). */
export const Metadata = forward('Metadata');
/** grpc-js's `Server`. */
export const Server = forward('Server');
/** grpc-js's `ServerCredentials`. */
export const ServerCredentials = forward('ServerCredentials');
/** grpc-js's `InterceptingCall` (the clients' interceptor, answer-early.ts in `@tscr/api`, runs on grpc-js's calls). */
export const InterceptingCall = forward('InterceptingCall');

interface MethodDef {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: unknown) => Buffer;
  responseDeserialize: (bytes: Buffer) => unknown;
  originalName?: string;
}

type Done = (err: LiteServiceError | null, res?: unknown) => void;

const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/** A generated client's base: unary calls over http2, the rest through a grpc-js client made on demand. */
export class LiteClient {
  private readonly channel: LiteChannel;
  private connection: ReturnType<typeof acquire> | undefined;
  private realClient: Grpc.Client | undefined;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly creds: LiteCredentials,
    private readonly options: Record<string, unknown> = {},
  ) {
    const num = (key: string, fallback: number) => {
      const v = options[key];
      return typeof v === 'number' && v >= 0 ? v : fallback;
    };
    const name = options['grpc.ssl_target_name_override'];
    this.channel = {
      target: address,
      security: creds.security,
      ...(typeof name === 'string' && { serverName: name }),
      maxReceive: num('grpc.max_receive_message_length', DEFAULT_MAX_RECEIVE),
      maxSend: num('grpc.max_send_message_length', Number.POSITIVE_INFINITY),
    };
  }

  /** The grpc-js client (of the class `make` gives) for what this module does not do itself. */
  fullClient(make: () => GrpcModule['Client']): Grpc.Client {
    this.realClient ??= new (make())(this.address, this.creds.real(), this.options);
    return this.realClient;
  }

  /**
   * This client's http2 connection, opened again when the last one has closed (the daemon restarted, or
   * ended an idle connection): a long-lived client, as the CLI host keeps, must not stay on a dead one.
   * (Not `connect`: the generated classes put one method per RPC on this prototype, and Networks has a Connect.)
   */
  private liteConnection(): ReturnType<typeof acquire> {
    const s = this.connection?.session;
    if (!this.connection || s?.closed || s?.destroyed) {
      this.connection?.release();
      this.connection = acquire(this.channel);
    }
    return this.connection;
  }

  /** One unary call over this client's http2 connection. */
  liteUnary(def: MethodDef, request: unknown, done: Done): LiteCall {
    if (this.closed) {
      queueMicrotask(() => done(serviceError(status.UNAVAILABLE, 'Channel has been shut down')));
      return { cancel: () => undefined };
    }
    const connection = this.liteConnection();
    const bytes = def.requestSerialize(request);
    return unaryCall(connection.session, this.channel, def.path, bytes, def.responseDeserialize, done);
  }

  /** A server-streaming (`request` given) or bidirectional call over this client's http2 connection. */
  liteStream(def: MethodDef, request?: { value: unknown }): Duplex & LiteCall {
    if (this.closed) {
      const shut = new Duplex({ objectMode: true, read: () => undefined });
      shut.on('error', () => undefined);
      shut.destroy(serviceError(status.UNAVAILABLE, 'Channel has been shut down'));
      return Object.assign(shut, { cancel: () => undefined });
    }
    const call = new LiteStream(
      this.liteConnection().session,
      this.channel,
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
    );
    if (request) call.end(request.value);
    return call;
  }

  /** Closes this client's connections. */
  close(): void {
    this.closed = true;
    this.connection?.release();
    this.realClient?.close();
  }
}

/**
 * grpc-js's `makeGenericClientConstructor`, as the generated code calls it: a
 * client class with one method per RPC. A unary call given only a request and a
 * callback goes over http2 here; anything else goes to a grpc-js client.
 */
export function makeGenericClientConstructor(
  methods: Record<string, MethodDef>,
  serviceName: string,
): typeof LiteClient {
  const realClass = () => grpc().makeGenericClientConstructor(methods as never, serviceName);
  class ServiceClient extends LiteClient {}
  const proto = ServiceClient.prototype as unknown as Record<string, unknown>;
  for (const [name, def] of Object.entries(methods)) {
    // An RPC named like one of LiteClient's own methods would replace it for every call of the class.
    for (const key of [name, def.originalName]) {
      if (key && key in LiteClient.prototype)
        throw new Error(`${serviceName}: the RPC ${key} has the name of a method of the client itself`);
    }
    const method = function (this: LiteClient, ...args: unknown[]) {
      // Only the plain forms tscr's clients use: (request, callback), (request) and ().
      if (!def.responseStream && !def.requestStream && args.length === 2 && typeof args[1] === 'function') {
        return this.liteUnary(def, args[0], args[1] as Done);
      }
      if (def.responseStream && !def.requestStream && args.length === 1)
        return this.liteStream(def, { value: args[0] });
      if (def.responseStream && def.requestStream && args.length === 0) return this.liteStream(def);
      const client = this.fullClient(realClass) as unknown as Record<string, (...a: unknown[]) => unknown>;
      return client[name]!(...args);
    };
    proto[name] = method;
    if (def.originalName && !(def.originalName in proto)) proto[def.originalName] = method;
  }
  return ServiceClient;
}
