import type { Server } from '@grpc/grpc-js';
import { serverStreamHandler, unaryHandler } from './handlers.js';
import * as systemV1 from '../../gen/tscr/system/v1/system.js';
import type { EventsOptions, SystemService } from '../types/system.js';
import { eventToProto, infoToProto, versionToProto } from './system-convert.js';

/** Events over the wire: a first message without an event says the subscription is in place. */
async function* eventStream(
  impl: SystemService,
  req: systemV1.EventsRequest,
  signal: AbortSignal,
): AsyncGenerator<systemV1.EventsResponse> {
  let onSubscribed!: () => void;
  const subscribed = new Promise<'subscribed'>((resolve) => (onSubscribed = () => resolve('subscribed')));
  const filters: Record<string, string[]> = {};
  for (const f of req.filters) filters[f.key] = [...(filters[f.key] ?? []), f.value];
  const opts: EventsOptions = { signal, types: req.types, filters, onSubscribed };
  if (req.since) opts.since = req.since;
  if (req.until) opts.until = req.until;
  const it = impl.events(opts)[Symbol.asyncIterator]();
  try {
    let next = it.next();
    const first = await Promise.race([subscribed, next]);
    yield {};
    if (first !== 'subscribed') {
      if (first.done) return;
      yield { event: eventToProto(first.value) };
      next = it.next();
    }
    for (;;) {
      const result = await next;
      if (result.done) return;
      yield { event: eventToProto(result.value) };
      next = it.next();
    }
  } finally {
    void it.return?.(undefined).catch(() => undefined);
  }
}

/**
 * The System service's handlers, forwarding to `impl`. The events stream
 * first sends a message without an event: the subscription is in place.
 */
export function createSystemServer(impl: SystemService): systemV1.SystemServer {
  return {
    ping: unaryHandler(async (_req, { signal }) => {
      await impl.ping({ signal });
      return {};
    }),
    version: unaryHandler(async (_req, { signal }) => versionToProto(await impl.version({ signal }))),
    info: unaryHandler(async (_req, { signal }) => infoToProto(await impl.info({ signal }))),
    events: serverStreamHandler((req, { signal }) => eventStream(impl, req, signal)),
  };
}

/** Registers the System service, backed by `impl`, on `server`. */
export function addSystemService(server: Server, impl: SystemService): void {
  server.addService(systemV1.SystemService, createSystemServer(impl));
}
