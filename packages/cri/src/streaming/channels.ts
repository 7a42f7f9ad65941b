/**
 * The stream shape the remote command protocol runs over, whatever carries
 * it: a SPDY stream, or one channel of a WebSocket connection.
 */
import type { EventEmitter } from 'node:events';
import type { PassThrough } from 'node:stream';

/** One typed stream of a streaming session (`error`, `stdin`, `stdout`, `stderr`, `resize`, `data`). */
export interface ChannelStream {
  /** Lower-case header names: `streamtype`, and for port-forward `port`, `requestid`. */
  readonly headers: Record<string, string>;
  /** What the client sends; ends when it closes its side. */
  readonly input: PassThrough;
  /** Sends data; resolves once the socket took it. */
  write(data: Uint8Array): Promise<void>;
  /** Closes our side. */
  end(): Promise<void>;
}

/** A session's connection: emits `stream` (a {@link ChannelStream}) and `close`. */
export type ChannelConnection = EventEmitter;
