import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TscrError, fromSystemError, internal, type ErrorCode } from '@tscr/api';
import type { LayerLimits } from './layer-limits.js';
import { unpackLayerStream, type UnpackOptions, type UnpackStats } from './unpack.js';

/** One layer for the unpack worker (its first message per layer). */
export interface UnpackJob {
  dest: string;
  what: string;
  limits?: LayerLimits;
}

/** Messages to the unpack worker: a layer to unpack, its tar bytes (`buffer` from `start` to `end`, transferred), their end, or a stop. */
export type ToWorker =
  | { type: 'job'; job: UnpackJob }
  | { type: 'data'; buffer: ArrayBuffer; start: number; end: number }
  | { type: 'end' }
  | { type: 'abort'; reason: string };

/** Messages from the unpack worker: bytes taken by its tar parser, then one result. */
export type FromWorker =
  | { type: 'ack'; bytes: number }
  | { type: 'done'; size: number }
  | { type: 'error'; error: { code: ErrorCode; message: string; details: Record<string, string> } };

/** Tar bytes posted to the worker and not yet taken by its parser, at most: the parent waits past this. */
const WINDOW = 4 << 20;

/**
 * How long a worker that finished a layer waits for the next one before it
 * ends: the layers of one pull, and pulls within half a minute of each
 * other (a compose file's images, a script's), skip its start (~60 ms of
 * CPU: a thread, an isolate, @tscr/api and node-tar loaded; on the critical
 * path of the pull, as the unpack is), while a daemon idle for longer keeps
 * no thread (one waiting costs ~13 MiB of RSS). 5 s was too short for pulls
 * separated by other work (bench/pull.sh's rounds).
 */
const IDLE_MS = 30_000;

/** The one worker waiting for a layer, if any. */
let spare: { worker: Worker; timer: NodeJS.Timeout } | undefined;

/** A worker for one layer: the spare one, else a new one. */
function takeWorker(file: string): Worker {
  const kept = spare;
  spare = undefined;
  if (kept) {
    clearTimeout(kept.timer);
    kept.worker.ref();
    return kept.worker;
  }
  const worker = new Worker(file);
  // Errors while idle end the worker; it then simply is no longer the spare.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    if (spare?.worker === worker) {
      clearTimeout(spare.timer);
      spare = undefined;
    }
  });
  return worker;
}

/** Keeps a worker that finished a layer cleanly as the spare (for {@link IDLE_MS}), or ends it. */
async function giveBack(worker: Worker): Promise<void> {
  if (spare) {
    await worker.terminate();
    return;
  }
  worker.unref();
  const retire = () => {
    // No longer the spare before it starts ending: a layer that comes now gets a new worker, not this one.
    if (spare?.worker === worker) spare = undefined;
    void worker.terminate();
  };
  spare = { worker, timer: setTimeout(retire, IDLE_MS).unref() };
}

/** The thread id of the worker waiting for a layer, if any (for tests). */
export function spareWorkerId(): number | undefined {
  return spare?.worker.threadId;
}

let script: string | null | undefined;

/**
 * The built worker entry (`dist/local/unpack-worker.cjs`): next to this
 * module in a build, under the package's `dist` when this runs from its
 * sources (tests); null when there is none.
 */
function workerScript(): string | null {
  if (script !== undefined) return script;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'unpack-worker.cjs'), join(here, '..', '..', 'dist', 'local', 'unpack-worker.cjs')];
  script = candidates.find((f) => existsSync(f)) ?? null;
  return script;
}

/** True when layers can be unpacked in a worker thread here (the worker's built entry exists). */
export function unpackWorkerAvailable(): boolean {
  return workerScript() !== null;
}

/**
 * Like {@link unpackLayerStream}, with the unpack (tar parsing and the
 * blocking file creation) in a worker thread of its own: this thread reads
 * `input` and posts its bytes over, at most {@link WINDOW} ahead of the
 * worker's parser. Each chunk is copied into a buffer the worker then owns;
 * with `handOver` (zlib's output), the buffers the chunks lie in are given
 * to the worker whole, without a copy, once the next chunk starts another
 * buffer: zlib fills each of its output buffers front to back and never
 * writes one again after it moved to a new one. The promise settles only
 * once the worker is done with `dest` (it finished, or was terminated after
 * a failure), so nothing is still being written there when the caller
 * cleans up. A worker that finished cleanly waits {@link IDLE_MS} for the
 * next layer. Without a built worker entry this unpacks in this thread.
 * @throws as {@link unpackLayerStream}: an `input` error fails the unpack
 *   with that error (a TscrError as is); Internal when the worker dies.
 */
export async function unpackLayerInWorker(
  input: Readable,
  dest: string,
  options: UnpackOptions = {},
  what = 'the layer stream',
  handOver = false,
): Promise<UnpackStats> {
  const file = workerScript();
  if (file === null) return unpackLayerStream(input, dest, options, what);
  const job: UnpackJob = { dest, what, ...(options.limits ? { limits: options.limits } : {}) };
  const worker = takeWorker(file);
  worker.postMessage({ type: 'job', job } satisfies ToWorker);
  let outstanding = 0;
  let result: { stats: UnpackStats } | { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const wait = () => new Promise<void>((resolve) => (wake = resolve));
  const onMessage = (m: FromWorker) => {
    if (m.type === 'ack') outstanding -= m.bytes;
    else if (m.type === 'done') result ??= { stats: { size: m.size } };
    else result ??= { error: new TscrError(m.error.code, m.error.message, { details: m.error.details }) };
    notify();
  };
  const onError = (err: Error) => {
    result ??= { error: internal('the layer unpack worker failed', { cause: err }) };
    notify();
  };
  const onExit = (code: number) => {
    result ??= { error: internal(`the layer unpack worker exited (code ${code}) before it finished`) };
    notify();
  };
  worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  const stop = (reason: string) => worker.postMessage({ type: 'abort', reason } satisfies ToWorker);
  const onAbort = () => stop('layer unpack cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const out = new Poster((buffer, start, end) => {
    outstanding += end - start;
    worker.postMessage({ type: 'data', buffer, start, end } satisfies ToWorker, [buffer]);
  });
  let inputError: unknown;
  try {
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        if (result) break; // the worker failed: stop reading (leaving the loop destroys `input`)
        if (handOver) out.handOver(chunk);
        else out.copy(chunk);
        while (outstanding > WINDOW && !result) await wait();
      }
      out.flush();
      if (!result) worker.postMessage({ type: 'end' } satisfies ToWorker);
    } catch (err) {
      inputError = fromSystemError(err, `cannot read ${what}`);
      stop('the layer stream failed');
    }
    while (!result) await wait();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    // Only a worker that finished its layer cleanly takes another; any other has stopped once terminated.
    if (inputError === undefined && result !== undefined && 'stats' in result) await giveBack(worker);
    else await worker.terminate();
    if (!input.destroyed) input.destroy();
  }
  if (inputError !== undefined) throw inputError;
  if ('error' in result) throw result.error;
  return result.stats;
}

/**
 * Sends chunks on as transferable buffers: {@link Poster.copy} copies a
 * chunk into a new one; {@link Poster.handOver} holds on to the run of
 * chunks that lie back to back in one buffer and sends that buffer itself
 * once a chunk comes from another one (or at {@link Poster.flush}).
 */
class Poster {
  private held: { buffer: ArrayBuffer; start: number; end: number } | undefined;

  constructor(private readonly post: (buffer: ArrayBuffer, start: number, end: number) => void) {}

  copy(chunk: Buffer): void {
    this.flush();
    const copy = Buffer.allocUnsafeSlow(chunk.length);
    chunk.copy(copy);
    this.post(copy.buffer as ArrayBuffer, 0, copy.length);
  }

  handOver(chunk: Buffer): void {
    const buffer = chunk.buffer;
    const held = this.held;
    if (held?.buffer === buffer && held.end === chunk.byteOffset) {
      held.end += chunk.length;
      return;
    }
    if (held?.buffer === buffer) {
      // Not back to back (zlib never does that): the buffer may still be written, so copy what is held and this.
      this.held = undefined;
      this.copy(Buffer.from(buffer, held.start, held.end - held.start));
      this.copy(chunk);
      return;
    }
    this.flush();
    // Node's small buffers share pooled memory that cannot be given away: those are copied.
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength <= Buffer.poolSize) this.copy(chunk);
    else this.held = { buffer, start: chunk.byteOffset, end: chunk.byteOffset + chunk.length };
  }

  /** Sends what is held. */
  flush(): void {
    const held = this.held;
    this.held = undefined;
    if (held) this.post(held.buffer, held.start, held.end);
  }
}
