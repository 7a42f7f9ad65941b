/**
 * One request's CliIo: stdout and stderr become `1`/`2` frames on the client's socket (with the client's
 * terminal flags and size, so tables and progress look as they would in the bin), the environment is the
 * client's, signals arrive as `S` frames, and there is no stdin.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { CliIo } from '../command.js';
import { encodeFrame, MAX_FRAME, STDERR, STDOUT } from './frames.js';
import type { HostRequest } from './request.js';

/** Where a request's frames go: the client's socket, as far as the io needs it. */
export interface FrameSink {
  /** Queues bytes; false when the caller should wait for 'drain'. */
  write(data: Uint8Array): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** The signal numbers an `S` frame may carry, and their names. */
export const SIGNALS: Readonly<Record<number, NodeJS.Signals>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  15: 'SIGTERM',
};

/** A request's io and the handles the server keeps on it. */
export interface RequestIo {
  io: CliIo;
  /** Where `S` frames are emitted (by name, as `process` emits them). */
  signals: EventEmitter;
  /** Stops sending: later output is dropped (the client went away, or the request already ended). */
  detach(): void;
  /** Whether output still goes to the client. */
  readonly attached: boolean;
  /** Resolves once everything written so far has been handed to the sink (or dropped). */
  flush(): Promise<void>;
}

/** A Writable that frames each chunk as `type` into `sink`, waiting for the sink's 'drain' when it is full. */
function framed(type: string, sink: FrameSink, state: { attached: boolean }, tty: boolean, req: HostRequest) {
  const stream = new Writable({
    decodeStrings: true,
    write(chunk: Buffer, _enc, done) {
      if (!state.attached) return done();
      let full = false;
      for (let at = 0; at < chunk.length; at += MAX_FRAME) {
        full = !sink.write(encodeFrame(type, chunk.subarray(at, at + MAX_FRAME))) || full;
      }
      if (!full) return done();
      const go = () => {
        sink.off('drain', go);
        sink.off('close', go);
        done();
      };
      sink.once('drain', go);
      sink.once('close', go);
    },
  });
  return Object.assign(stream, { isTTY: tty, ...(tty && req.cols > 0 && { columns: req.cols, rows: req.rows }) });
}

/** The io of `req`, writing frames to `sink`. */
export function createRequestIo(req: HostRequest, sink: FrameSink): RequestIo {
  const state = { attached: true };
  // A closed sink takes nothing more: writes waiting for its drain go on, later ones are dropped.
  sink.once('close', () => {
    state.attached = false;
  });
  const signals = new EventEmitter();
  const stdout = framed(STDOUT, sink, state, req.tty[1], req);
  const stderr = framed(STDERR, sink, state, req.tty[2], req);
  // An empty write completes after every write before it.
  const drained = (s: Writable) => new Promise<void>((r) => s.write('', () => r()));
  return {
    io: { stdout, stderr, env: { ...req.env }, signals },
    signals,
    detach() {
      state.attached = false;
    },
    get attached() {
      return state.attached;
    },
    flush: async () => {
      await Promise.all([drained(stdout), drained(stderr)]);
    },
  };
}
