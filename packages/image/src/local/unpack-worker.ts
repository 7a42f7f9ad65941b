/**
 * The entry of the layer unpack worker thread (see `unpack-thread.ts`): it
 * applies one layer tar, whose bytes the parent thread posts to it, with
 * {@link unpackLayerStream}, so tar parsing and the blocking file creation
 * run beside the parent's network reading, hashing and inflating.
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { cancelled, internal, isTscrError } from '@tscr/api';
import type { FromWorker, ToWorker, UnpackJob } from './unpack-thread.js';
import { unpackLayerStream } from './unpack.js';

function serve(): void {
  const port = parentPort;
  if (!port) throw internal('unpack-worker runs as a worker thread only');
  const send = (m: FromWorker) => port.postMessage(m);
  /** The layer being unpacked; bytes of an earlier one that failed (still on their way) are dropped. */
  let current: { input: Readable; controller: AbortController } | undefined;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'job') current = start(m.job);
    else if (!current) return;
    else if (m.type === 'data') current.input.push(Buffer.from(m.buffer, m.start, m.end - m.start));
    else if (m.type === 'end') current.input.push(null);
    else {
      const err = cancelled(m.reason);
      current.controller.abort(err);
      current.input.destroy(err);
    }
  });

  function start(job: UnpackJob): { input: Readable; controller: AbortController } {
    const controller = new AbortController();
    // Bytes are pushed as they come; what stops the parent is the window of bytes not yet taken (acked below).
    const input = new Readable({ read() {} });
    const mine = { input, controller };
    const unpacked = unpackLayerStream(
      input,
      job.dest,
      { signal: controller.signal, ...(job.limits ? { limits: job.limits } : {}) },
      job.what,
    );
    // Attached after the unpacker's own listeners: a chunk handed to the tar parser is taken.
    input.on('data', (chunk: Buffer) => send({ type: 'ack', bytes: chunk.length }));
    unpacked
      .then(
        (stats) => send({ type: 'done', size: stats.size }),
        (err: unknown) =>
          send({
            type: 'error',
            error: isTscrError(err)
              ? { code: err.code, message: err.message, details: err.details }
              : { code: 'Internal', message: err instanceof Error ? err.message : String(err), details: {} },
          }),
      )
      .finally(() => {
        if (current === mine) current = undefined;
      });
    return mine;
  }
}

serve();
