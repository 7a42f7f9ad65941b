import { InterceptingCall, Metadata, status, type Interceptor, type StatusObject } from '@grpc/grpc-js';

/**
 * A client interceptor that completes a unary call as soon as its one
 * answer message has arrived, instead of when the status that follows it
 * does.
 *
 * Why: a Node HTTP/2 server (grpc-js, as tscrd) sends a unary answer in two
 * writes — the message, then, once that write has completed, the trailers
 * with the status, one turn of its event loop later. Whatever the daemon
 * does in that turn (the work a call leaves behind it: removals, records)
 * delays the caller by 0.4–1 ms per call (`bench/grpc-call.mjs`,
 * `grpc.stream.*` in `TSCR_TRACE`).
 *
 * Why it is safe for tscr's servers: a grpc-js unary handler's answer is
 * either an error status alone or one message followed by OK, and tscr's
 * handlers (also the authorizing server, which asks the authorizer before
 * the message leaves) never send a message and then fail. The status that
 * comes later is still read — the call ends normally on the wire — but no
 * longer waited for; a non-OK status after a message (a server that is not
 * tscr's) is dropped. Streaming calls are left as they are.
 */
export const answerOnMessage: Interceptor = (options, nextCall) => {
  const method = options.method_definition;
  if (method.requestStream || method.responseStream) return new InterceptingCall(nextCall(options));
  return new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      let answered = false;
      next(metadata, {
        onReceiveMessage(message, nextMessage) {
          nextMessage(message);
          // grpc-js hands a unary call's listener a null message right before a status that came alone.
          if (answered || message === null || message === undefined) return;
          answered = true;
          const ok: StatusObject = { code: status.OK, details: '', metadata: new Metadata() };
          listener.onReceiveStatus(ok);
        },
        onReceiveStatus(received, nextStatus) {
          if (!answered) nextStatus(received);
        },
      });
    },
  });
};
