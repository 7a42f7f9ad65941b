/**
 * The CLI's own HTTP/2 client connection (RFC 7540) over a socket from
 * `node:net` (or `node:tls`): what `node:http2` did for the CLI's gRPC calls,
 * without loading it (~5 ms of a `tscr` run's start-up, and its first session
 * ~3 ms more). It sends the preface, its SETTINGS and the first request at
 * once, without waiting for the server's SETTINGS; answers SETTINGS and PING;
 * keeps flow control both ways (connection window given back on receipt, a
 * stream's as its reader takes the data); decodes HPACK (hpack.ts); honours
 * RST_STREAM and GOAWAY. Shaped as the part of `ClientHttp2Session` the calls
 * use: `request(headers)`, `close()`, `closed`/`destroyed`, 'error'/'close'.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  ACK,
  CONTINUATION,
  DATA,
  DEFAULT_FRAME_SIZE,
  DEFAULT_WINDOW,
  END_HEADERS,
  END_STREAM,
  FLOW_CONTROL_ERROR,
  FRAME_SIZE_ERROR,
  GOAWAY,
  HEADERS,
  MAX_WINDOW,
  NO_ERROR,
  PING,
  PREFACE,
  PROTOCOL_ERROR,
  PUSH_PROMISE,
  COMPRESSION_ERROR,
  RST_STREAM,
  SETTINGS,
  SETTINGS_ENABLE_PUSH,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SETTINGS_MAX_FRAME_SIZE,
  WINDOW_UPDATE,
  errorName,
  frame,
  goaway,
  settings,
  u32,
  unpad,
} from './frames.js';
import { HpackDecoder, encodeHeaders } from './hpack.js';
import { H2Stream, type StreamOwner } from './stream.js';
import { mark } from '../../startup-trace.js';

/** What this side lets each stream receive before it hands data on (its SETTINGS_INITIAL_WINDOW_SIZE). */
const STREAM_WINDOW = 1024 * 1024;
/** The connection's receive window (raised from 65535 by a WINDOW_UPDATE right after the preface). */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** A header block (HEADERS and its CONTINUATIONs) larger than this ends the connection. */
const MAX_HEADER_BLOCK = 1024 * 1024;

/** Where requests go: `:scheme` and `:authority`. */
export interface SessionTarget {
  scheme: 'http' | 'https';
  authority: string;
}

/** One client connection. */
export class H2Session extends EventEmitter implements StreamOwner {
  /** No new requests (closing, GOAWAY received or the socket gone). */
  closed = false;
  /** The socket is gone. */
  destroyed = false;

  private readonly streams = new Map<number, H2Stream>();
  private nextId = 1;
  private sendWindow = DEFAULT_WINDOW;
  private peerStreamWindow = DEFAULT_WINDOW;
  private peerFrameSize = DEFAULT_FRAME_SIZE;
  private received = 0;
  private readonly decoder = new HpackDecoder();
  private input: Buffer = Buffer.alloc(0);
  private block: { id: number; endStream: boolean; parts: Buffer[]; size: number } | undefined;
  private corked = false;
  /** GOAWAY sent and the socket ended: nothing more is written. */
  private ending = false;
  /** Something came from the server (for the start-up trace). */
  private heard = false;

  constructor(
    private readonly socket: Duplex,
    private readonly target: SessionTarget,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', (err: Error) => this.destroy(err));
    socket.on('close', () => this.destroy(new Error('The connection closed')));
    socket.on('end', () => this.destroy(new Error('The server closed the connection')));
    this.send(PREFACE);
    this.send(
      frame(
        SETTINGS,
        0,
        0,
        settings([
          [SETTINGS_ENABLE_PUSH, 0],
          [SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW],
        ]),
      ),
    );
    this.send(frame(WINDOW_UPDATE, 0, 0, u32(CONNECTION_WINDOW - DEFAULT_WINDOW)));
  }

  /** Opens a stream with `headers` (`:method`, `:path` and the rest; `:scheme`/`:authority` are added). */
  request(headers: Record<string, string>): H2Stream {
    if (this.closed || this.destroyed) throw new Error('The HTTP/2 session is closed');
    const fields: Array<[string, string]> = [
      [':method', headers[':method'] ?? 'GET'],
      [':scheme', this.target.scheme],
      [':authority', this.target.authority],
      [':path', headers[':path'] ?? '/'],
    ];
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(':')) fields.push([name.toLowerCase(), value]);
    }
    const id = this.nextId;
    this.nextId += 2;
    const stream = new H2Stream(id, this, this.peerStreamWindow, STREAM_WINDOW);
    this.streams.set(id, stream);
    const block = encodeHeaders(fields);
    for (let at = 0; at === 0 || at < block.length; at += this.peerFrameSize) {
      const last = at + this.peerFrameSize >= block.length;
      this.send(
        frame(
          at === 0 ? HEADERS : CONTINUATION,
          last ? END_HEADERS : 0,
          id,
          block.subarray(at, at + this.peerFrameSize),
        ),
      );
    }
    return stream;
  }

  /** No new requests; the connection ends (GOAWAY) once its streams have. */
  close(): void {
    this.closed = true;
    if (this.streams.size === 0) this.shutdown();
  }

  /** @internal StreamOwner: queues `bytes`, written with what else this tick sends in one go. */
  send(bytes: Buffer): void {
    if (this.destroyed || this.ending) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  /** @internal StreamOwner */
  sendAllowance(): number {
    return Math.min(this.sendWindow, this.peerFrameSize);
  }

  /** @internal StreamOwner */
  spend(n: number): void {
    this.sendWindow -= n;
  }

  /** @internal StreamOwner */
  forget(id: number): void {
    this.streams.delete(id);
    if (this.closed && this.streams.size === 0) this.shutdown();
  }

  private shutdown(): void {
    if (this.destroyed) return;
    if (this.ending) return;
    this.send(frame(GOAWAY, 0, 0, goaway(0, NO_ERROR)));
    this.ending = true;
    this.socket.end();
    this.socket.once('finish', () => this.socket.destroy());
  }

  private destroy(err: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.fail(err, NO_ERROR);
    this.streams.clear();
    this.socket.destroy();
    process.nextTick(() => {
      if (!(err.message === 'The connection closed' || err.message === 'The server closed the connection')) {
        this.emit('error', err);
      }
      this.emit('close');
    });
  }

  /** Ends the connection for a protocol error of the peer's. */
  private connectionError(code: number, why: string): undefined {
    if (this.destroyed) return;
    this.send(frame(GOAWAY, 0, 0, goaway(0, code)));
    // Out now (not at the tick's end), before the socket is destroyed.
    this.socket.uncork();
    this.destroy(new Error(`HTTP/2 connection error ${errorName(code)}: ${why}`));
  }

  private onBytes(chunk: Buffer): undefined {
    if (!this.heard) {
      this.heard = true;
      mark('first bytes from the daemon');
    }
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    while (!this.destroyed && this.input.length >= 9) {
      const length = this.input.readUIntBE(0, 3);
      if (length > DEFAULT_FRAME_SIZE) return this.connectionError(FRAME_SIZE_ERROR, `a frame of ${length} bytes`);
      if (this.input.length < 9 + length) return;
      const type = this.input[3]!;
      const flags = this.input[4]!;
      const id = this.input.readUInt32BE(5) & MAX_WINDOW;
      const payload = this.input.subarray(9, 9 + length);
      this.input = this.input.subarray(9 + length);
      this.onFrame(type, flags, id, payload);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): undefined {
    if (this.block && type !== CONTINUATION) return this.connectionError(PROTOCOL_ERROR, 'header block interrupted');
    switch (type) {
      case DATA:
        return this.onData(flags, id, payload);
      case HEADERS: {
        const fragment = unpad(payload, flags, true);
        if (!fragment || id === 0) return this.connectionError(PROTOCOL_ERROR, 'bad HEADERS frame');
        this.block = { id, endStream: (flags & END_STREAM) !== 0, parts: [fragment], size: fragment.length };
        if (flags & END_HEADERS) this.endBlock();
        return;
      }
      case CONTINUATION: {
        if (!this.block || this.block.id !== id) return this.connectionError(PROTOCOL_ERROR, 'stray CONTINUATION');
        this.block.parts.push(payload);
        this.block.size += payload.length;
        if (this.block.size > MAX_HEADER_BLOCK) return this.connectionError(PROTOCOL_ERROR, 'header block too large');
        if (flags & END_HEADERS) this.endBlock();
        return;
      }
      case RST_STREAM:
        if (payload.length !== 4) return this.connectionError(FRAME_SIZE_ERROR, 'RST_STREAM');
        this.streams.get(id)?.onReset(payload.readUInt32BE(0));
        return;
      case SETTINGS:
        return this.onSettings(flags, id, payload);
      case PUSH_PROMISE:
        return this.connectionError(PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
      case PING:
        if (payload.length !== 8 || id !== 0) return this.connectionError(FRAME_SIZE_ERROR, 'PING');
        if (!(flags & ACK)) this.send(frame(PING, ACK, 0, payload));
        return;
      case GOAWAY:
        return this.onGoaway(payload);
      case WINDOW_UPDATE:
        return this.onWindowUpdate(id, payload);
      default:
        // PRIORITY and unknown frame types are ignored.
        return;
    }
  }

  private onData(flags: number, id: number, payload: Buffer): undefined {
    if (id === 0) return this.connectionError(PROTOCOL_ERROR, 'DATA on stream 0');
    // The connection's window is given back as data arrives; streams hold theirs until read.
    this.received += payload.length;
    if (this.received >= CONNECTION_WINDOW / 2) {
      this.send(frame(WINDOW_UPDATE, 0, 0, u32(this.received)));
      this.received = 0;
    }
    const bytes = unpad(payload, flags, false);
    if (!bytes) return this.connectionError(PROTOCOL_ERROR, 'bad padding');
    this.streams.get(id)?.onData(bytes, payload.length, (flags & END_STREAM) !== 0);
  }

  private endBlock(): undefined {
    const { id, endStream, parts } = this.block!;
    this.block = undefined;
    let list: ReturnType<HpackDecoder['decode']>;
    try {
      // Every block is decoded, even a reset stream's: the dynamic table depends on it.
      list = this.decoder.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    } catch (err) {
      return this.connectionError(COMPRESSION_ERROR, (err as Error).message);
    }
    this.streams.get(id)?.onHeaders(list, endStream);
  }

  private onSettings(flags: number, id: number, payload: Buffer): undefined {
    if (id !== 0 || payload.length % 6) return this.connectionError(FRAME_SIZE_ERROR, 'SETTINGS');
    if (flags & ACK) return;
    for (let at = 0; at < payload.length; at += 6) {
      const key = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (key === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'initial window too large');
        const delta = value - this.peerStreamWindow;
        this.peerStreamWindow = value;
        for (const stream of [...this.streams.values()]) {
          if (!stream.grow(delta)) return this.connectionError(FLOW_CONTROL_ERROR, 'stream window overflow');
        }
      } else if (key === SETTINGS_MAX_FRAME_SIZE) {
        if (value < DEFAULT_FRAME_SIZE || value > 0xffffff) return this.connectionError(PROTOCOL_ERROR, 'frame size');
        this.peerFrameSize = value;
      }
      // The header table size does not matter to an encoder that never indexes; the rest is advisory here.
    }
    this.send(frame(SETTINGS, ACK, 0));
  }

  private onGoaway(payload: Buffer): undefined {
    if (payload.length < 8) return this.connectionError(FRAME_SIZE_ERROR, 'GOAWAY');
    const last = payload.readUInt32BE(0) & MAX_WINDOW;
    const code = payload.readUInt32BE(4);
    this.closed = true;
    // Streams above the last one the server took were never processed.
    for (const stream of [...this.streams.values()]) {
      if (stream.id > last) stream.fail(new Error(`The server went away (${errorName(code)})`), NO_ERROR);
    }
    if (this.streams.size === 0) this.shutdown();
  }

  private onWindowUpdate(id: number, payload: Buffer): undefined {
    if (payload.length !== 4) return this.connectionError(FRAME_SIZE_ERROR, 'WINDOW_UPDATE');
    const increment = payload.readUInt32BE(0) & MAX_WINDOW;
    if (increment === 0) return this.connectionError(PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    if (id !== 0) {
      const stream = this.streams.get(id);
      if (stream && !stream.grow(increment)) stream.fail(new Error('stream window overflow'), FLOW_CONTROL_ERROR);
      return;
    }
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW) return this.connectionError(FLOW_CONTROL_ERROR, 'connection window overflow');
    for (const stream of [...this.streams.values()]) stream.flush();
  }
}
