import { TscrError, cancelled, type TscrEvent } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';

/** Options of {@link EventBus.subscribe}. */
export interface SubscribeOptions {
  /** Only events of these types (`container`, `image`…); empty or absent means all. */
  types?: string[];
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** Events kept for a slow reader before it is cut off (default: the bus's). */
  bufferSize?: number;
}

interface Subscriber {
  types: Set<string>;
  queue: TscrEvent[];
  limit: number;
  failed?: TscrError;
  wake?: () => void;
}

/** Unix time in nanoseconds, as a decimal string (microsecond resolution). */
function timeNano(): string {
  return (BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n).toString();
}

/**
 * Fans events out to live subscribers. Each subscriber has a bounded queue:
 * one that falls `bufferSize` events behind is cut off with
 * ResourceExhausted instead of making the daemon buffer without bound.
 */
export class EventBus implements EventPublisher {
  private readonly subscribers = new Set<Subscriber>();

  /** @param bufferSize default queue limit per subscriber. */
  constructor(private readonly bufferSize = 1024) {}

  /** Stamps `event` with the time and hands it to every interested subscriber. Never blocks. */
  publish(event: Omit<TscrEvent, 'timeNano'>): void {
    const stamped: TscrEvent = { ...event, attributes: { ...event.attributes }, timeNano: timeNano() };
    for (const sub of this.subscribers) {
      if (sub.failed || (sub.types.size > 0 && !sub.types.has(stamped.type))) continue;
      if (sub.queue.length >= sub.limit) {
        sub.failed = new TscrError('ResourceExhausted', `event subscriber fell more than ${sub.limit} events behind`);
        sub.queue.length = 0;
      } else sub.queue.push(stamped);
      sub.wake?.();
    }
  }

  /** How many subscribers are listening (for tests and `info`). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Live events from now on. Registration happens at the call, so nothing
   * published after it is missed. @throws ResourceExhausted (while
   * iterating) when the reader falls too far behind; Cancelled on abort.
   */
  subscribe(opts: SubscribeOptions = {}): AsyncIterable<TscrEvent> {
    const sub: Subscriber = { types: new Set(opts.types ?? []), queue: [], limit: opts.bufferSize ?? this.bufferSize };
    this.subscribers.add(sub);
    const signal = opts.signal;
    const subscribers = this.subscribers;
    const onAbort = () => {
      subscribers.delete(sub);
      sub.wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (sub.failed) throw sub.failed;
            if (signal?.aborted) throw cancelled('event subscription cancelled');
            const next = sub.queue.shift();
            if (next) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => (sub.wake = resolve));
            sub.wake = undefined;
          }
        } finally {
          subscribers.delete(sub);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }
}
