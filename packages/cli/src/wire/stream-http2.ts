/**
 * Server-streaming and bidirectional gRPC calls over HTTP/2 (see
 * call-http2.ts for the wire), as grpc-js's client streams look to tscr's call
 * helpers: an object-mode Duplex that reads the answers (async-iterable, with
 * HTTP/2 flow control when the reader is slow), writes requests (`write()`
 * false until 'drain'), `end()`s the request side and `cancel()`s. A non-OK
 * status ends the reading side with the error, shaped as grpc-js's.
 */
import type { WireSession } from './connect.js';
import { Duplex } from 'node:stream';
import { type LiteChannel, type StartedCall, serviceError, startCall } from './call-http2.js';

const INTERNAL = 13;

/** One streaming call. */
export class LiteStream extends Duplex {
  private readonly call: StartedCall;

  constructor(
    session: WireSession,
    ch: LiteChannel,
    path: string,
    private readonly serialize: (value: unknown) => Buffer,
    decode: (bytes: Buffer) => unknown,
  ) {
    super({ objectMode: true, allowHalfOpen: true });
    // Readers get errors through iteration; an error after they stopped reading must not crash the CLI.
    this.on('error', () => undefined);
    this.call = startCall(session, ch, path, {
      onMessage: (bytes) => {
        let message: unknown;
        try {
          message = decode(bytes);
        } catch (err) {
          this.call.cancel();
          this.destroy(serviceError(INTERNAL, `Response message parsing error: ${(err as Error).message}`));
          return true;
        }
        return this.push(message);
      },
      onEnd: (err) => {
        if (err) this.destroy(err);
        else this.push(null);
      },
    });
  }

  override _read(): void {
    this.call.resume();
  }

  override _write(message: unknown, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const stream = this.call.stream;
    if (!stream || stream.closed || stream.destroyed || this.call.write(this.serialize(message))) done();
    else {
      const go = () => {
        stream.off('close', go);
        stream.off('drain', go);
        done();
      };
      stream.once('drain', go);
      stream.once('close', go);
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    const stream = this.call.stream;
    if (stream && !stream.closed) stream.end();
    done();
  }

  /** Cancels the call (a no-op once it has ended). */
  cancel(): void {
    this.call.cancel();
  }
}
