import { TscrError, cancelled, invalidArgument, nowNano, parseEventTime, type TscrEvent } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';
import type { EventLog } from './event-log.js';

export { parseEventTime };

/** Options of {@link EventBus.subscribe}. */
export interface SubscribeOptions {
  /** Only events of these types (`container`, `image`…); empty or absent means all. */
  types?: string[];
  /** Replay recorded events from this time on (see {@link parseEventTime}), then continue live. */
  since?: string;
  /** End once this time has passed (same forms as `since`). */
  until?: string;
  /** Docker's filters (see {@link eventMatcher}). */
  filters?: Record<string, string[]>;
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** Events kept for a slow reader before it is cut off (default: the bus's). */
  bufferSize?: number;
}

/** Options of the {@link EventBus} constructor. */
export interface EventBusOptions {
  /** Recent events kept for `since` replays (default 1024). */
  historySize?: number;
  /** Persists the history across daemon restarts. */
  log?: EventLog;
}

interface Subscriber {
  matches: (e: TscrEvent) => boolean;
  queue: TscrEvent[];
  limit: number;
  failed?: TscrError;
  wake?: () => void;
}

const FILTER_KEYS = ['type', 'event', 'container', 'image', 'label', 'volume', 'network'];

/**
 * Docker's event filters as a predicate: values of one key are ORed, keys
 * ANDed. `event` matches the action or its part before `:` (`health_status`);
 * `container`, `volume`, `network` match that type's ID (or prefix) or
 * `name`; `image` an image event's ID/name or a container's `image`;
 * `label` is `key` or `key=value` over the attributes.
 * @throws InvalidArgument for an unknown key.
 */
export function eventMatcher(filters: Record<string, string[]> = {}, types: string[] = []): (e: TscrEvent) => boolean {
  for (const key of Object.keys(filters)) {
    if (!FILTER_KEYS.includes(key)) {
      throw invalidArgument(`invalid filter '${key}' (${FILTER_KEYS.join(', ')})`, {
        details: { reason: 'InvalidFilter' },
      });
    }
  }
  const f = Object.fromEntries(Object.entries(filters).filter(([, v]) => v.length > 0));
  const typeSet = new Set([...types, ...(f.type ?? [])]);
  const byIdOrName = (type: string, values: string[] | undefined) => (e: TscrEvent) =>
    !values || (e.type === type && values.some((v) => e.id === v || e.id.startsWith(v) || e.attributes.name === v));
  const container = byIdOrName('container', f.container);
  const volume = byIdOrName('volume', f.volume);
  const network = byIdOrName('network', f.network);
  return (e) =>
    (typeSet.size === 0 || typeSet.has(e.type)) &&
    (!f.event || f.event.some((v) => e.action === v || e.action.split(':')[0] === v)) &&
    container(e) &&
    volume(e) &&
    network(e) &&
    (!f.image ||
      f.image.some((v) =>
        e.type === 'image' ? e.id === v || e.attributes.name === v : e.attributes.image === v || e.id === v,
      )) &&
    (!f.label ||
      f.label.every((v) => {
        const eq = v.indexOf('=');
        return eq < 0 ? v in e.attributes : e.attributes[v.slice(0, eq)] === v.slice(eq + 1);
      }));
}

/**
 * Fans events out to live subscribers, and keeps the recent ones (bounded,
 * optionally persisted through an {@link EventLog}) for `since` replays.
 * Each subscriber has a bounded queue: one that falls `bufferSize` events
 * behind is cut off with ResourceExhausted instead of making the daemon
 * buffer without bound.
 */
export class EventBus implements EventPublisher {
  private readonly subscribers = new Set<Subscriber>();
  private readonly history: TscrEvent[];
  private readonly historySize: number;
  private readonly log: EventLog | undefined;

  /** @param bufferSize default queue limit per subscriber. */
  constructor(
    private readonly bufferSize = 1024,
    opts: EventBusOptions = {},
  ) {
    this.historySize = opts.historySize ?? 1024;
    this.log = opts.log;
    this.history = this.log?.recent(this.historySize) ?? [];
  }

  /** Stamps `event` with the time, records it and hands it to every interested subscriber. Never blocks. */
  publish(event: Omit<TscrEvent, 'timeNano'>): void {
    const stamped: TscrEvent = { ...event, attributes: { ...event.attributes }, timeNano: nowNano().toString() };
    this.history.push(stamped);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    this.log?.append(stamped);
    for (const sub of this.subscribers) {
      if (sub.failed || !sub.matches(stamped)) continue;
      if (sub.queue.length >= sub.limit) {
        // Dropped: nothing more is kept for it; its reader gets the error after what it has.
        sub.failed = new TscrError(
          'ResourceExhausted',
          `event subscriber dropped: it fell more than ${sub.limit} events behind (read faster, or filter)`,
          { details: { reason: 'SlowSubscriber', limit: String(sub.limit) } },
        );
        sub.queue.length = 0;
        this.subscribers.delete(sub);
      } else sub.queue.push(stamped);
      sub.wake?.();
    }
  }

  /** How many subscribers are listening (for tests and `info`). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Writes the persisted history and closes it. */
  close(): void {
    this.log?.close();
  }

  /**
   * Recorded events since `opts.since` (when given), then live events.
   * Registration happens at the call, so nothing published after it is
   * missed or repeated. With `until`, the stream ends once that time has
   * passed (at once, after the replay, when it is in the past).
   * @throws InvalidArgument (at the call) for a bad time or filter;
   * ResourceExhausted (while iterating) when the reader falls too far
   * behind; Cancelled on abort.
   */
  subscribe(opts: SubscribeOptions = {}): AsyncIterable<TscrEvent> {
    const matches = eventMatcher(opts.filters, opts.types);
    const now = nowNano();
    const since = opts.since ? parseEventTime(opts.since, now) : undefined;
    const until = opts.until ? parseEventTime(opts.until, now) : undefined;
    const inRange = (e: TscrEvent) => {
      const t = BigInt(e.timeNano);
      return (since === undefined || t >= since) && (until === undefined || t <= until);
    };
    const replay = since === undefined ? [] : this.history.filter((e) => inRange(e) && matches(e));
    const live = until === undefined || until > now;
    const sub: Subscriber = {
      matches: (e) => matches(e) && inRange(e),
      queue: [],
      limit: opts.bufferSize ?? this.bufferSize,
    };
    if (live) this.subscribers.add(sub);
    const signal = opts.signal;
    const subscribers = this.subscribers;
    let ended = !live;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      subscribers.delete(sub);
      sub.wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (live && until !== undefined && until - now < 2_000_000_000_000_000n) {
      timer = setTimeout(
        () => {
          ended = true;
          subscribers.delete(sub);
          sub.wake?.();
        },
        Number((until - now) / 1_000_000n) + 1,
      );
    }
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (const e of replay) {
            if (signal?.aborted) throw cancelled('event subscription cancelled');
            yield e;
          }
          for (;;) {
            if (sub.failed) throw sub.failed;
            if (signal?.aborted) throw cancelled('event subscription cancelled');
            const next = sub.queue.shift();
            if (next) {
              yield next;
              continue;
            }
            if (ended) return;
            await new Promise<void>((resolve) => (sub.wake = resolve));
            sub.wake = undefined;
          }
        } finally {
          if (timer) clearTimeout(timer);
          subscribers.delete(sub);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }
}
