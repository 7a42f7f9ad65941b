/**
 * A client of one legacy plugin: activation (`Plugin.Activate`), JSON calls, dockerd's retry on connection
 * failure (back-off 1 s doubling, given up once the next wait would pass the 30 s budget; both configurable),
 * and re-activation (finding the socket or spec again) after the plugin was lost.
 */
import { TscrError, cancelledBy, internal, isTscrError, unavailable } from '@tscr/api';
import { codeForPluginStatus } from '../errors.js';
import type { Plugin, PluginCallOptions } from '../types.js';
import type { PluginLocation } from './discovery.js';
import { postPlugin, type RawAnswer } from './transport.js';

/** Timing of a {@link PluginClient}. */
export interface PluginClientTiming {
  /** Default time limit of one attempt, ms. */
  timeoutMs: number;
  /** Retry budget for connection failures, ms. */
  retryMs: number;
  /** First back-off, ms. */
  retryBaseMs: number;
}

/** Finds the plugin again (its socket may have been recreated elsewhere); undefined when it is gone. */
export type Relocate = () => Promise<PluginLocation | undefined>;

function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledBy(signal, what));
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelledBy(signal as AbortSignal, what));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const retryable = (err: unknown) => isTscrError(err) && err.details.retryable === 'true';

/** Decodes a plugin's answer: JSON, and a non-empty `Err` (or a non-200 status) as a TscrError. */
export function decodeAnswer<T>(plugin: string, method: string, answer: RawAnswer): T {
  const details = { plugin, method, status: String(answer.status) };
  let doc: unknown;
  let json = true;
  try {
    doc = answer.text.trim() === '' ? {} : JSON.parse(answer.text);
  } catch {
    json = false;
  }
  const err = json && doc && typeof doc === 'object' ? (doc as { Err?: unknown }).Err : undefined;
  if (answer.status !== 200) {
    const text =
      typeof err === 'string' && err !== '' ? err : answer.text.trim().slice(0, 500) || `HTTP ${answer.status}`;
    return fail(codeForPluginStatus(answer.status), `plugin ${plugin}: ${method}: ${text}`, details);
  }
  if (!json || doc === null || typeof doc !== 'object')
    throw internal(`plugin ${plugin}: ${method}: the answer is not a JSON object: ${answer.text.slice(0, 200)}`, {
      details,
    });
  if (typeof err === 'string' && err !== '') fail('Unknown', `plugin ${plugin}: ${method}: ${err}`, details);
  return doc as T;
}

function fail(code: TscrError['code'], message: string, details: Record<string, string>): never {
  throw new TscrError(code, message, { details });
}

/** One plugin, as {@link Plugin}. */
export class PluginClient implements Plugin {
  readonly name: string;
  #loc: PluginLocation;
  #implements: string[] = [];
  #active = false;
  #activating: Promise<void> | undefined;
  readonly #timing: PluginClientTiming;
  readonly #relocate: Relocate;

  constructor(loc: PluginLocation, timing: PluginClientTiming, relocate: Relocate) {
    this.name = loc.name;
    this.#loc = loc;
    this.#timing = timing;
    this.#relocate = relocate;
  }

  get implements(): readonly string[] {
    return this.#implements;
  }

  get address(): string {
    return this.#loc.address;
  }

  /** The socket or spec file it was last found by. */
  get source(): string {
    return this.#loc.source;
  }

  /** True after a successful activation, until the plugin is lost. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Activates the plugin unless it is active (with retries unless `retry` is false).
   * @throws as {@link Plugin.call}.
   */
  async activate(opts: PluginCallOptions = {}): Promise<readonly string[]> {
    await this.#retrying(() => this.#ensureActive(opts), opts);
    return this.#implements;
  }

  /**
   * Activates it again now, once, without retry (what `plugin ls` does to tell whether it answers).
   * @throws as {@link Plugin.call}.
   */
  async probe(opts: PluginCallOptions = {}): Promise<readonly string[]> {
    this.#active = false;
    return this.activate({ ...opts, retry: false });
  }

  async call<T = unknown>(method: string, body?: unknown, opts: PluginCallOptions = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const answer = await this.#retrying(async () => {
      await this.#ensureActive(opts);
      return this.#post(method, payload, opts);
    }, opts);
    return decodeAnswer<T>(this.name, method, answer);
  }

  #post(method: string, payload: string | undefined, opts: PluginCallOptions): Promise<RawAnswer> {
    return postPlugin(this.#loc, method, payload, {
      timeoutMs: opts.timeoutMs ?? this.#timing.timeoutMs,
      signal: opts.signal,
    });
  }

  #ensureActive(opts: PluginCallOptions): Promise<void> {
    if (this.#active) return Promise.resolve();
    this.#activating ??= (async () => {
      try {
        const found = await this.#relocate();
        if (found) this.#loc = found;
        const answer = await this.#post('Plugin.Activate', undefined, opts);
        const doc = decodeAnswer<{ Implements?: unknown }>(this.name, 'Plugin.Activate', answer);
        if (!Array.isArray(doc.Implements) || !doc.Implements.every((i) => typeof i === 'string'))
          throw internal(`plugin ${this.name}: Plugin.Activate: the answer has no "Implements" list`);
        this.#implements = doc.Implements as string[];
        this.#active = true;
      } finally {
        this.#activating = undefined;
      }
    })();
    return this.#activating;
  }

  async #retrying<T>(attempt: () => Promise<T>, opts: PluginCallOptions): Promise<T> {
    const start = Date.now();
    const { retryMs, retryBaseMs } = this.#timing;
    for (let retries = 0; ; retries++) {
      try {
        return await attempt();
      } catch (err) {
        if (!retryable(err)) throw err;
        // Lost it: the next attempt finds and activates it again (it may have restarted).
        this.#active = false;
        const wait = Math.min(retryBaseMs * 2 ** retries, retryMs);
        if (opts.retry === false || Date.now() - start + wait >= retryMs)
          throw unavailable(`${(err as Error).message} (gave up after ${retries + 1} attempt(s))`, {
            cause: err,
            details: { plugin: this.name, ...(err as TscrError).details, retryable: 'false' },
          });
        await sleep(wait, opts.signal, `plugin ${this.name}`);
      }
    }
  }
}
