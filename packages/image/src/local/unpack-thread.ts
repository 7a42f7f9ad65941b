import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TscrError, fromSystemError, internal, type ErrorCode } from '@tscr/api';
import type { LayerLimits } from './layer-limits.js';
import { unpackLayerStream, type UnpackOptions, type UnpackStats } from './unpack.js';

/** What the unpack worker is started with (its `workerData`). */
export interface UnpackJob {
  dest: string;
  what: string;
  limits?: LayerLimits;
}

/** Messages to the unpack worker: tar bytes (transferred), their end, or a stop. */
export type ToWorker = { type: 'data'; chunk: Uint8Array } | { type: 'end' } | { type: 'abort'; reason: string };

/** Messages from the unpack worker: bytes taken by its tar parser, then one result. */
export type FromWorker =
  | { type: 'ack'; bytes: number }
  | { type: 'done'; size: number }
  | { type: 'error'; error: { code: ErrorCode; message: string; details: Record<string, string> } };

/** Tar bytes posted to the worker and not yet taken by its parser, at most: the parent waits past this. */
const WINDOW = 4 << 20;

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
 * `input` and posts its bytes over (copied into buffers the worker then
 * owns), at most {@link WINDOW} ahead of the worker's parser. The promise
 * settles only once the worker has stopped, so nothing is still being
 * written under `dest` when the caller cleans up. Without a built worker
 * entry it unpacks in this thread.
 * @throws as {@link unpackLayerStream}: an `input` error fails the unpack
 *   with that error (a TscrError as is); Internal when the worker dies.
 */
export async function unpackLayerInWorker(
  input: Readable,
  dest: string,
  options: UnpackOptions = {},
  what = 'the layer stream',
): Promise<UnpackStats> {
  const file = workerScript();
  if (file === null) return unpackLayerStream(input, dest, options, what);
  const job: UnpackJob = { dest, what, ...(options.limits ? { limits: options.limits } : {}) };
  const worker = new Worker(file, { workerData: job });
  let outstanding = 0;
  let result: { stats: UnpackStats } | { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const wait = () => new Promise<void>((resolve) => (wake = resolve));
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'ack') outstanding -= m.bytes;
    else if (m.type === 'done') result ??= { stats: { size: m.size } };
    else result ??= { error: new TscrError(m.error.code, m.error.message, { details: m.error.details }) };
    notify();
  });
  worker.on('error', (err) => {
    result ??= { error: internal('the layer unpack worker failed', { cause: err }) };
    notify();
  });
  worker.on('exit', (code) => {
    result ??= { error: internal(`the layer unpack worker exited (code ${code}) before it finished`) };
    notify();
  });
  const stop = (reason: string) => worker.postMessage({ type: 'abort', reason } satisfies ToWorker);
  const onAbort = () => stop('layer unpack cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let inputError: unknown;
  try {
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        if (result) break; // the worker failed: stop reading (leaving the loop destroys `input`)
        const copy = Buffer.allocUnsafeSlow(chunk.length);
        chunk.copy(copy);
        outstanding += copy.length;
        worker.postMessage({ type: 'data', chunk: copy } satisfies ToWorker, [copy.buffer as ArrayBuffer]);
        while (outstanding > WINDOW && !result) await wait();
      }
      if (!result) worker.postMessage({ type: 'end' } satisfies ToWorker);
    } catch (err) {
      inputError = fromSystemError(err, `cannot read ${what}`);
      stop('the layer stream failed');
    }
    while (!result) await wait();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
    if (!input.destroyed) input.destroy();
  }
  if (inputError !== undefined) throw inputError;
  if ('error' in result) throw result.error;
  return result.stats;
}
