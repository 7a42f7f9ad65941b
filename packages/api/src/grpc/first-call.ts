import type { EventEmitter } from 'node:events';
import type { Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { internal, traceSince, tracing } from '@tscr/api';

/** HTTP/2 servers already given a deadline (one `session` listener each). */
const guarded = new WeakSet<EventEmitter>();
/** HTTP/2 servers whose streams are already timed (see {@link traceStreams}). */
const timed = new WeakSet<EventEmitter>();

/**
 * The HTTP/2 servers grpc-js made for the addresses bound so far. grpc-js
 * offers no hook on its connections, so this reads its `http2Servers` map
 * (grpc-js 1.x, pinned in package.json); a grpc-js without it fails here,
 * loudly, rather than serving without the deadline.
 */
export function http2ServersOf(server: Server): EventEmitter[] {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) {
    throw internal('this grpc-js has no http2Servers map: the first-call deadline cannot be set');
  }
  return [...servers.keys()] as EventEmitter[];
}

/**
 * Closes each new connection of `server` that has not opened its first call
 * within `ms`: a client that sends the HTTP/2 preface, its settings or the
 * headers of its first request slowly (or nothing at all) would otherwise
 * hold its socket for ever, as grpc-js sets no deadline of its own. Once a
 * call is open the connection is never timed again, so idle clients between
 * calls and long streams (`events`, `logs -f`) are left alone. On TLS the
 * clock starts after the handshake (Node's own `handshakeTimeout` bounds that).
 *
 * Covers the servers bound so far; call it after each bind (repeats are
 * harmless). The cost is one timer per connection, nothing per call.
 * @throws Internal when grpc-js does not expose its HTTP/2 servers.
 */
export function limitFirstCall(server: Server, ms: number): void {
  for (const http2Server of http2ServersOf(server)) {
    if (guarded.has(http2Server)) continue;
    guarded.add(http2Server);
    http2Server.on('session', (session: Http2Session) => {
      const timer = setTimeout(() => session.destroy(), ms);
      timer.unref();
      const clear = () => clearTimeout(timer);
      session.once('stream', clear);
      session.once('close', clear);
    });
  }
}

/**
 * With TSCR_TRACE on (bench/run-path.sh): times every call `server` serves on
 * the HTTP/2 level, from its stream's opening (its headers read) to the
 * stream's close (the answer and its trailers written), as
 * `grpc.stream.<Method>`. Against the handler's own span (`grpc.<method>`,
 * the daemon's lazy services) it shows what grpc-js adds on the server; the
 * client's time for the call less it is the wire and the client. Off, it does
 * nothing. Covers the servers bound so far (repeats are harmless).
 */
export function traceStreams(server: Server): void {
  if (!tracing()) return;
  for (const http2Server of http2ServersOf(server)) {
    if (timed.has(http2Server)) continue;
    timed.add(http2Server);
    http2Server.on('stream', (stream: EventEmitter, headers: Record<string, string | undefined>) => {
      const start = performance.now();
      const path = headers[':path'] ?? '';
      const step = `grpc.stream.${path.slice(path.lastIndexOf('/') + 1)}`;
      stream.once('close', () => traceSince(step, '', start));
    });
  }
}
