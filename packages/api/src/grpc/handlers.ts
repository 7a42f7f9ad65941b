import type { ServerReadableStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { toStatus } from './status.js';

/** What a handler learns about its call. */
export interface CallContext {
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
}

function contextOf(call: { on(event: 'cancelled', cb: () => void): unknown }): CallContext {
  const ac = new AbortController();
  call.on('cancelled', () => ac.abort(new Error('client cancelled the call')));
  return { signal: ac.signal };
}

/** Adapts an async function to a grpc-js unary handler, mapping errors to status. */
export function unaryHandler<Req, Res>(fn: (req: Req, ctx: CallContext) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call.request, contextOf(call)).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toStatus(err)),
    );
  };
}

/**
 * Adapts an AsyncIterable producer to a server-streaming handler. Writing
 * waits for 'drain', so a slow client stops the producer instead of making
 * the server buffer without bound.
 */
export function serverStreamHandler<Req, Res>(fn: (req: Req, ctx: CallContext) => AsyncIterable<Res>) {
  return (call: ServerWritableStream<Req, Res>): void => {
    const ctx = contextOf(call);
    void (async () => {
      try {
        for await (const msg of fn(call.request, ctx)) {
          if (ctx.signal.aborted) return;
          if (!call.write(msg)) {
            await new Promise<void>((resolve) => {
              const done = () => {
                call.off('drain', done);
                ctx.signal.removeEventListener('abort', done);
                resolve();
              };
              call.on('drain', done);
              ctx.signal.addEventListener('abort', done, { once: true });
            });
          }
        }
        if (!ctx.signal.aborted) call.end();
      } catch (err) {
        // grpc-js records an 'error' event as the call's status and then ends the stream.
        if (!ctx.signal.aborted) call.emit('error', Object.assign(new Error(), toStatus(err)));
      }
    })();
  };
}

/** Adapts a consumer of an AsyncIterable of requests to a client-streaming handler. */
export function clientStreamHandler<Req, Res>(fn: (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>) {
  return (call: ServerReadableStream<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call as AsyncIterable<Req>, contextOf(call)).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toStatus(err)),
    );
  };
}
