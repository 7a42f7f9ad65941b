/**
 * One request stream of the CLI's HTTP/2 client, shaped as much of
 * `ClientHttp2Stream` as the gRPC calls use: events 'response' (the first
 * headers), 'data', 'trailers', 'end', 'error', 'close' and 'drain';
 * `write`/`end` for the request body (sent as the windows allow), `pause`/
 * `resume` (the stream's receive window is given back only for data handed
 * on), and `close(code)`.
 */
import { EventEmitter } from 'node:events';
import {
  CANCEL,
  DATA,
  END_STREAM,
  MAX_WINDOW,
  NO_ERROR,
  PROTOCOL_ERROR,
  RST_STREAM,
  WINDOW_UPDATE,
  errorName,
  frame,
  u32,
} from './frames.js';
import type { HeaderList } from './hpack.js';

/** Response headers as Node gives them: lowercase names, repeated ones as a list. */
export type H2Headers = Record<string, string | string[]>;

/** What a stream needs of its connection. */
export interface StreamOwner {
  /** Queues a frame for the socket. */
  send(bytes: Buffer): void;
  /** How much DATA the connection's send window and the peer's frame size allow now. */
  sendAllowance(): number;
  /** Takes `n` bytes from the connection's send window. */
  spend(n: number): void;
  /** The stream is done: forget it. */
  forget(id: number): void;
}

/** Request bytes buffered above this make `write` return false until 'drain'. */
const HIGH_WATER = 64 * 1024;

function toHeaders(list: HeaderList): H2Headers {
  const out: H2Headers = {};
  for (const [name, value] of list) {
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

/** One stream. */
export class H2Stream extends EventEmitter {
  /** No more events will come (ended both ways, reset or failed). */
  closed = false;
  /** Same as `closed`, kept for callers written against node:http2. */
  get destroyed(): boolean {
    return this.closed;
  }

  private answered = false;
  private remoteEnded = false;
  private endEmitted = false;
  private localEndWanted = false;
  private localEnded = false;
  private paused = false;
  private needDrain = false;
  private readonly inbox: Buffer[] = [];
  private readonly outbox: Buffer[] = [];
  private outBytes = 0;
  private unacked = 0;

  constructor(
    readonly id: number,
    private readonly owner: StreamOwner,
    private sendWindow: number,
    private readonly recvWindow: number,
  ) {
    super();
  }

  /** Frames `bytes` as DATA, sent as the windows allow; false once enough waits to want a 'drain'. */
  write(bytes: Buffer): boolean {
    if (this.closed || this.localEndWanted) return false;
    if (bytes.length) {
      this.outbox.push(bytes);
      this.outBytes += bytes.length;
    }
    this.flush();
    if (this.outBytes >= HIGH_WATER) this.needDrain = true;
    return !this.needDrain;
  }

  /** Ends the request side (END_STREAM after what is queued). */
  end(): void {
    if (this.closed || this.localEndWanted) return;
    this.localEndWanted = true;
    this.flush();
  }

  /** Stops handing on data (and giving back window) until {@link resume}. */
  pause(): void {
    this.paused = true;
  }

  /** Hands on what waited, and the data to come. */
  resume(): void {
    this.paused = false;
    this.deliver();
  }

  /** Ends the stream now, with RST_STREAM(`code`) unless both sides had already ended. */
  close(code = NO_ERROR): void {
    if (this.closed) return;
    if (!(this.remoteEnded && this.localEnded)) this.owner.send(frame(RST_STREAM, 0, this.id, u32(code)));
    this.finish();
  }

  /** Sends what the stream's and the connection's windows allow. */
  flush(): void {
    while (!this.closed && this.outbox.length) {
      const allowed = Math.min(this.sendWindow, this.owner.sendAllowance());
      if (allowed <= 0) return;
      const head = this.outbox[0]!;
      const chunk = head.length <= allowed ? head : head.subarray(0, allowed);
      if (chunk === head) this.outbox.shift();
      else this.outbox[0] = head.subarray(allowed);
      this.outBytes -= chunk.length;
      this.sendWindow -= chunk.length;
      this.owner.spend(chunk.length);
      const last = this.localEndWanted && this.outbox.length === 0;
      this.owner.send(frame(DATA, last ? END_STREAM : 0, this.id, chunk));
      if (last) this.localEnded = true;
    }
    if (this.closed) return;
    if (this.localEndWanted && !this.localEnded && this.outbox.length === 0) {
      this.localEnded = true;
      this.owner.send(frame(DATA, END_STREAM, this.id));
    }
    if (this.needDrain && this.outBytes < HIGH_WATER) {
      this.needDrain = false;
      this.emit('drain');
    }
    this.maybeDone();
  }

  /** The peer's WINDOW_UPDATE or a change of SETTINGS_INITIAL_WINDOW_SIZE. @returns false on overflow. */
  grow(delta: number): boolean {
    this.sendWindow += delta;
    if (this.sendWindow > MAX_WINDOW) return false;
    this.flush();
    return true;
  }

  /** A header block for this stream: the response's headers, 1xx ones (skipped), or the trailers. */
  onHeaders(list: HeaderList, endStream: boolean): void {
    if (this.closed || this.remoteEnded) return;
    const headers = toHeaders(list);
    if (!this.answered) {
      const status = headers[':status'];
      if (typeof status === 'string' && status.startsWith('1') && !endStream) return;
      this.answered = true;
      this.emit('response', headers);
    } else {
      this.emit('trailers', headers);
    }
    if (endStream) this.onRemoteEnd();
  }

  /** A DATA frame's content (`size`: the frame's whole length, which the window counted). */
  onData(bytes: Buffer, size: number, endStream: boolean): void {
    if (this.closed || this.remoteEnded) return;
    if (!this.answered) {
      this.fail(new Error('Received data before the response headers'), PROTOCOL_ERROR);
      return;
    }
    this.unacked += size - bytes.length;
    if (bytes.length) this.inbox.push(bytes);
    if (endStream) this.remoteEnded = true;
    this.deliver();
  }

  /** The peer reset the stream. */
  onReset(code: number): void {
    if (this.closed) return;
    this.remoteEnded = true;
    this.localEnded = true;
    this.finish(code === NO_ERROR ? undefined : new Error(`Stream closed with error code ${errorName(code)}`));
  }

  /** The stream fails (the connection broke or the peer misbehaved): RST_STREAM `code` if still usable. */
  fail(err: Error, code = CANCEL): void {
    if (this.closed) return;
    if (code !== NO_ERROR) this.owner.send(frame(RST_STREAM, 0, this.id, u32(code)));
    this.finish(err);
  }

  private onRemoteEnd(): void {
    this.remoteEnded = true;
    this.deliver();
  }

  private deliver(): void {
    while (!this.paused && !this.closed && this.inbox.length) {
      const chunk = this.inbox.shift()!;
      this.unacked += chunk.length;
      this.emit('data', chunk);
    }
    if (this.closed) return;
    // Window given back once half of it was handed on (and only while more data may come).
    if (!this.remoteEnded && this.unacked >= this.recvWindow / 2) {
      this.owner.send(frame(WINDOW_UPDATE, 0, this.id, u32(this.unacked)));
      this.unacked = 0;
    }
    if (this.remoteEnded && !this.inbox.length && !this.endEmitted) {
      this.endEmitted = true;
      this.emit('end');
    }
    this.maybeDone();
  }

  private maybeDone(): void {
    if (!this.closed && this.endEmitted && this.localEnded) this.finish();
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.length = 0;
    this.outbox.length = 0;
    this.owner.forget(this.id);
    process.nextTick(() => {
      if (err && this.listenerCount('error')) this.emit('error', err);
      this.emit('close');
    });
  }
}
