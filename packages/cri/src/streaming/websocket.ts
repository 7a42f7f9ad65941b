/**
 * The WebSocket transport of the remote command protocol, `v5.channel.k8s.io`
 * (what `crictl exec --transport websocket` and client-go's WebSocket
 * executor speak): binary messages whose first byte names the channel
 * (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); `[255, n]` from the
 * client says it closed channel n (its stdin). Only what a server of that protocol needs of
 * RFC 6455: the handshake, masked client frames, unmasked server frames,
 * ping/pong and close.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { ChannelStream } from './channels.js';

/** The protocol this transport speaks. */
export const WEBSOCKET_PROTOCOL = 'v5.channel.k8s.io';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CHANNELS = ['stdin', 'stdout', 'stderr', 'error', 'resize'] as const;
const CLOSE_CHANNEL = 255;
/** Largest message accepted from a client: 16 MiB. */
const MAX_MESSAGE = 1 << 24;

/** The 101 answer to a WebSocket upgrade for `protocol`. */
export function websocketAccept(req: IncomingMessage, protocol: string): string {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`
  );
}

/** The protocols a WebSocket client offers. */
export function websocketProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * A server-side WebSocket carrying the five channels. Emits `stream` for
 * each channel at once (so the remote command runs as over SPDY) and `close`.
 */
export class ChannelWebSocket extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private readonly inputs = new Map<number, PassThrough>();
  private closed = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.shutdown());
    socket.on('error', () => this.shutdown());
  }

  /** Emits the channel streams; call once the listeners are in place. */
  open(): void {
    CHANNELS.forEach((type, id) => {
      const input = new PassThrough();
      this.inputs.set(id, input);
      const stream: ChannelStream = {
        headers: { streamtype: type },
        input,
        write: (data) => (data.length === 0 ? Promise.resolve() : this.send(Buffer.concat([Buffer.from([id]), data]))),
        // (The close signal goes client → server only: client-go rejects it; the socket's close ends every channel.)
        end: () => Promise.resolve(),
      };
      this.emit('stream', stream);
    });
  }

  /** Sends a close frame and ends the socket. */
  close(): void {
    if (this.closed) return;
    this.socket.end(frame(0x8, Buffer.from([0x03, 0xe8])));
    this.shutdown();
  }

  private send(payload: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.socket.write(frame(0x2, payload))) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const parsed = parseFrame(this.buf);
      if (!parsed) return;
      if (parsed.length > MAX_MESSAGE) {
        this.socket.destroy();
        return;
      }
      this.buf = this.buf.subarray(parsed.consumed);
      this.onFrame(parsed.opcode, parsed.fin, parsed.payload);
    }
  }

  private onFrame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === 0x8) {
      this.close();
      return;
    }
    if (opcode === 0x9) {
      if (!this.closed) this.socket.write(frame(0xa, payload));
      return;
    }
    if (opcode === 0xa) return;
    this.fragments.push(payload);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    if (message.length === 0) return;
    const channel = message[0]!;
    if (channel === CLOSE_CHANNEL) {
      this.inputs.get(message[1] ?? -1)?.end();
      return;
    }
    const input = this.inputs.get(channel);
    if (input && !input.writableEnded && message.length > 1) input.write(message.subarray(1));
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const input of this.inputs.values()) if (!input.writableEnded) input.end();
    this.emit('close');
  }
}

/** One unmasked server frame. */
function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** A complete (masked) client frame at the start of `buf`, or undefined when more bytes are needed. */
function parseFrame(
  buf: Buffer,
): { fin: boolean; opcode: number; payload: Buffer; consumed: number; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const fin = (buf[0]! & 0x80) !== 0;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let off = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    off = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  if (length > MAX_MESSAGE) return { fin, opcode, payload: Buffer.alloc(0), consumed: 0, length };
  const maskLen = masked ? 4 : 0;
  if (buf.length < off + maskLen + length) return undefined;
  const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + length));
  if (masked) {
    const mask = buf.subarray(off, off + 4);
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  }
  return { fin, opcode, payload, consumed: off + maskLen + length, length };
}
