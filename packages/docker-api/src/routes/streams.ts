/** Container output: logs and attach (hijacked or plain). */
import { invalidArgument, isCancelled, type LogEntry } from '@tscr/api';
import type { LogsOptions } from '@tscr/container';
import { about, unsupportedOption } from '../errors.js';
import { need } from '../optional.js';
import { type Ctx, boolParam, readBody } from '../http.js';
import { type ContainerStream, openContainerStream } from '../hijack.js';
import { type Route, route } from './route.js';

/** Docker's `since`/`until` are Unix seconds (with a fraction); 0 means unset. */
function timeParam(v: string | null, name: string): string | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  if (!/^\d+(\.\d+)?$/.test(v) && Number.isNaN(Date.parse(v)))
    throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return v;
}

/** RFC 3339 with nanoseconds in UTC with `Z`, as dockerd prints log timestamps. */
export function dockerTimestamp(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  const [, base, frac = '', zone] = m;
  if (zone === 'Z' || zone === '+00:00' || zone === '-00:00') return `${base}${frac}Z`;
  const utc = new Date(`${base}${zone}`).toISOString().slice(0, 19);
  return `${utc}${frac}Z`;
}

/** Output of a container: log entries carry their time, live chunks may not. */
type Chunk = Pick<LogEntry, 'stream' | 'data'> & { time?: string };

/** Pumps `entries` into `out`, with RFC 3339 timestamps when asked; stops when the client goes. */
async function pump(entries: AsyncIterable<Chunk>, out: ContainerStream, timestamps: boolean): Promise<void> {
  for await (const e of entries) {
    const data = timestamps && e.time ? Buffer.concat([Buffer.from(`${dockerTimestamp(e.time)} `), e.data]) : e.data;
    if (!(await out.write(e.stream, data))) return;
  }
}

async function logs(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const q = ctx.query;
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  if (boolParam(q, 'details')) throw unsupportedOption('details');
  const opts: LogsOptions = { follow: boolParam(q, 'follow'), stdout, stderr, signal: ctx.signal };
  const tail = q.get('tail');
  // `all`, or a negative number (testcontainers sends -1), means every line.
  if (tail && tail !== 'all') {
    if (!/^-?\d+$/.test(tail)) throw invalidArgument(`invalid value for tail: ${JSON.stringify(tail)}`);
    if (Number(tail) >= 0) opts.tail = Number(tail);
  }
  const since = timeParam(q.get('since'), 'since');
  if (since) opts.since = since;
  const until = timeParam(q.get('until'), 'until');
  if (until) opts.until = until;
  const info = await about('container', id, () => ctx.backends.containers.inspect(id, { signal: ctx.signal }));
  const entries = ctx.backends.containers.logs(info.id, opts)[Symbol.asyncIterator]();
  const first = await entries.next();
  const out = openContainerStream(ctx, Boolean(info.config.tty));
  try {
    if (!first.done) {
      const rest = { [Symbol.asyncIterator]: () => entries };
      const all = (async function* () {
        yield first.value;
        yield* rest;
      })();
      await pump(all, out, boolParam(q, 'timestamps'));
    }
  } catch (err) {
    if (!isCancelled(err)) ctx.logger(`docker api: logs ${info.id}: ${(err as Error).message}`);
  } finally {
    out.end();
  }
}

/**
 * `POST /containers/{id}/attach`. Output-only attach maps onto
 * ContainerService.attach: the attachment is in place before the answer
 * goes out, so a client that starts the container afterwards misses nothing.
 * `logs=1` replays what was logged first.
 */
async function attach(ctx: Ctx): Promise<void> {
  const id = ctx.params.id ?? '';
  const q = ctx.query;
  const { containers } = ctx.backends;
  const stream = boolParam(q, 'stream');
  const withLogs = boolParam(q, 'logs');
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  if (q.get('detachKeys')) throw unsupportedOption('detachKeys');
  // A body sent with the request (dockerode sends its options as JSON) is not stdin: only what follows the
  // upgrade is, as with dockerd. Read it off the connection and drop it.
  if (ctx.hijack) await readBody(ctx);
  const info = await about('container', id, () => containers.inspect(id, { signal: ctx.signal }));
  const withStdin = boolParam(q, 'stdin');
  if (withStdin) need(containers, 'attachStdio', 'POST /containers/{id}/attach with stdin=1 (interactive attach)');
  let stdinFeed: ((input: AsyncIterable<Uint8Array>) => void) | undefined;
  const tty = Boolean(info.config.tty);
  let source: AsyncIterator<Chunk> | undefined;
  let first: Promise<IteratorResult<Chunk>> | undefined;
  if (stream && withStdin) {
    const pending = new Promise<AsyncIterable<Uint8Array>>((r) => (stdinFeed = r));
    let attached!: () => void;
    const ready = new Promise<void>((r) => (attached = r));
    // As in dockerd: the end of the client's stdin closes the container's with StdinOnce (output goes on until
    // it exits); otherwise it ends this attachment. (A client that went away is seen only so: its socket
    // reads EOF, and a container with no output would never write to find out.)
    const closesStdin = Boolean(info.config.stdinOnce) && !tty;
    const session = new AbortController();
    source = containers
      .attachStdio(info.id, {
        stdin: (async function* () {
          yield* await pending;
          if (!closesStdin) session.abort();
        })(),
        stdout,
        stderr,
        signal: AbortSignal.any([ctx.signal, session.signal]),
        onAttached: () => attached(),
      })
      [Symbol.asyncIterator]();
    first = source.next();
    first.catch(() => undefined);
    await Promise.race([ready, first]);
  } else if (stream && withLogs && info.state.running) {
    source = containers.logs(info.id, { follow: true, stdout, stderr, signal: ctx.signal })[Symbol.asyncIterator]();
  } else if (stream) {
    let attached!: () => void;
    const ready = new Promise<void>((r) => (attached = r));
    source = containers
      .attach(info.id, { stdout, stderr, signal: ctx.signal, onAttached: () => attached() })
      [Symbol.asyncIterator]();
    first = source.next();
    first.catch(() => undefined);
    await Promise.race([ready, first]);
  }
  const out = openContainerStream(ctx, tty);
  if (stdinFeed) stdinFeed(out.input ?? (async function* () {})());
  // Nothing is read from stdin without stdin=1, but the client may half-close: drain it.
  else if (out.input) void drain(out.input);
  try {
    if (withLogs && !(stream && info.state.running)) {
      const past = containers.logs(info.id, { stdout, stderr, signal: ctx.signal });
      await pump(past, out, false);
    }
    if (source) {
      const it = source;
      const head = first;
      const all = (async function* () {
        if (head) {
          const r = await head;
          if (r.done) return;
          yield r.value;
        }
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield r.value;
        }
      })();
      await pump(all, out, false);
    }
  } catch (err) {
    if (!isCancelled(err)) ctx.logger(`docker api: attach ${info.id}: ${(err as Error).message}`);
  } finally {
    void source?.return?.();
    out.end();
  }
}

async function drain(input: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const _ of input) {
      // discarded: this attachment has no stdin
    }
  } catch {
    // the connection went away
  }
}

export const streamRoutes: Route[] = [
  route('GET', '/containers/:id/logs', logs),
  route('POST', '/containers/:id/attach', attach),
];
