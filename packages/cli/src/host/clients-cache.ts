/**
 * The host's daemon clients: one set of gRPC clients per daemon address, made on the first request for it
 * and kept warm (its HTTP/2 connection stays open) until the host exits. Each request gets a view whose
 * `close()` does nothing and whose calls fail with Cancelled once the request is over (its client went
 * away or was signalled), so a command cut short makes no further calls; its long calls (wait, attach, logs…)
 * are cancelled then.
 */
import { cancelled } from '@tscr/api';
import type { DaemonTarget } from '@tscr/api/grpc';
import { createGrpcClients, type Clients } from '../client.js';

/** What a request's view asks of the request: whether it is over, and a signal aborted when it ends early. */
export interface RequestLife {
  readonly ended: boolean;
  /** Aborted when the request ends before its command (the client went away or was signalled). */
  readonly signal?: AbortSignal;
}

/**
 * The calls that can outlive a command cut short, and where their options go: these are given the request's
 * signal too, so they are cancelled with it (the others are short, and fail with Cancelled once it is over).
 */
const LONG_CALLS: Readonly<Record<string, number>> = { wait: 1, attach: 1, logs: 1, stats: 1, startExec: 1 };

/** `opts` with a signal aborted by its own signal or by `life`'s. */
function withLife(opts: unknown, life: AbortSignal): unknown {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) return opts;
  const own = (opts as { signal?: AbortSignal } | undefined)?.signal;
  if (!own) return { ...(opts as object), signal: life };
  const both = new AbortController();
  for (const s of [own, life]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true });
  }
  return { ...(opts as object), signal: both.signal };
}

type Getter = Exclude<keyof Clients, 'close'>;
const GETTERS: readonly Getter[] = ['containers', 'images', 'registry', 'system', 'volumes', 'networks', 'plugins'];

/** A service whose methods fail with Cancelled once `life` has ended (properties pass through). */
function guarded<T extends object>(service: T, life: RequestLife): T {
  return new Proxy(service, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (life.ended) throw cancelled('the tscr client of this command went away');
        const at = typeof prop === 'string' ? LONG_CALLS[prop] : undefined;
        if (at !== undefined && life.signal && args.length <= at + 1) args[at] = withLife(args[at], life.signal);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The clients of every daemon the host has talked to. */
export class ClientsCache {
  private readonly byAddress = new Map<string, Clients>();

  constructor(private readonly make: (target: DaemonTarget) => Clients = createGrpcClients) {}

  /** The warm clients of `target` (only local, TLS-less targets reach the host), as one request's view. */
  forRequest(target: DaemonTarget, life: RequestLife): Clients {
    let shared = this.byAddress.get(target.address);
    if (!shared) {
      shared = this.make(target);
      this.byAddress.set(target.address, shared);
    }
    const base = shared;
    const view: Partial<Record<Getter, () => Promise<object>>> = {};
    for (const name of GETTERS) {
      const get = base[name] as (() => Promise<object>) | undefined;
      if (get) view[name] = async () => guarded(await get.call(base), life);
    }
    return { ...(view as Omit<Clients, 'close'>), close: () => undefined };
  }

  /** How many daemons it holds clients for. */
  get size(): number {
    return this.byAddress.size;
  }

  /** Closes every client (at the host's exit). */
  closeAll(): void {
    for (const clients of this.byAddress.values()) clients.close();
    this.byAddress.clear();
  }
}
