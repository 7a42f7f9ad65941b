/**
 * The frames of the CLI host's protocol (docs/cli-host.md): one byte of type, four bytes of payload length
 * (unsigned, big-endian), the payload. Both directions share one stream socket.
 */
import { invalidArgument } from '@tscr/api';

/** The largest payload a frame may carry (1 MiB); a larger one is a protocol error. */
export const MAX_FRAME = 1024 * 1024;

/** Frame types, client to host: the request (JSON, first and once) and a signal (1 byte). */
export const REQUEST = 'R';
export const SIGNAL = 'S';
/** Frame types, host to client: not hosted, accepted, stdout, stderr, exit code. */
export const FALLBACK = 'F';
export const ACCEPTED = 'A';
export const STDOUT = '1';
export const STDERR = '2';
export const EXIT = 'X';

/** Every frame type, by direction. */
export const CLIENT_FRAMES: ReadonlySet<string> = new Set([REQUEST, SIGNAL]);
export const HOST_FRAMES: ReadonlySet<string> = new Set([FALLBACK, ACCEPTED, STDOUT, STDERR, EXIT]);

/** One decoded frame. */
export interface Frame {
  type: string;
  payload: Buffer;
}

const HEAD = 5;

/** The bytes of one frame. @throws InvalidArgument for a type that is not one ASCII byte or an oversized payload. */
export function encodeFrame(type: string, payload: string | Uint8Array = Buffer.alloc(0)): Buffer {
  if (type.length !== 1 || type.charCodeAt(0) > 0x7f)
    throw invalidArgument(`frame type must be one ASCII byte: ${type}`);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > MAX_FRAME) throw invalidArgument(`frame of ${body.length} bytes is over ${MAX_FRAME}`);
  const head = Buffer.allocUnsafe(HEAD);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/**
 * Splits a byte stream into frames. {@link push} gives every frame completed by a chunk; it throws
 * InvalidArgument (a protocol error: the connection must close) for a type outside `accepted` or a length over
 * {@link MAX_FRAME}, checked from the header alone, before the payload arrives.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly accepted: ReadonlySet<string>) {}

  /** The frames that `chunk` completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= HEAD) {
      const type = String.fromCharCode(this.buffered[0]!);
      if (!this.accepted.has(type)) throw invalidArgument(`unknown frame type 0x${this.buffered[0]!.toString(16)}`);
      const length = this.buffered.readUInt32BE(1);
      if (length > MAX_FRAME) throw invalidArgument(`frame of ${length} bytes is over ${MAX_FRAME}`);
      if (this.buffered.length < HEAD + length) break;
      frames.push({ type, payload: Buffer.from(this.buffered.subarray(HEAD, HEAD + length)) });
      this.buffered = this.buffered.subarray(HEAD + length);
    }
    return frames;
  }

  /** Bytes of a frame not yet complete (a stream that ends with some is cut short). */
  get pending(): number {
    return this.buffered.length;
  }
}
