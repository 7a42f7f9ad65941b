/**
 * gRPC calls over HTTP/2 (the CLI's own client, see connect.ts), without grpc-js (unary here, streams in stream-http2.ts): what `tscr version`,
 * `tscr ps` and `tscr run -d` spend most of their calls on. The wire is plain
 * gRPC over HTTP/2 (a `POST` to `/package.Service/Method`, each message framed
 * as a compressed-flag byte and a 4-byte big-endian length, the outcome in the
 * `grpc-status`/`grpc-message` trailers, or in the headers of a trailers-only
 * answer). The answer's metadata comes back as a {@link LiteMetadata}, so
 * `fromStatus` finds a TscrError's code and details as it does with grpc-js.
 * Plain connections are shared by every client of one target; TLS ones are per client.
 */
import { mark } from '../startup-trace.js';
import { type ConnectTarget, type WireSession, type WireStream, openSession } from './connect.js';

export type { Security, SslArgs } from './connect.js';

/** gRPC status codes this module produces itself (the others come from the server). */
const INTERNAL = 13;
const UNAVAILABLE = 14;
const CANCELLED = 1;
const RESOURCE_EXHAUSTED = 8;
/** HTTP/2 error codes (RFC 7540 §7). */
const NO_ERROR = 0;
const CANCEL = 8;

/** Response metadata with the one method `fromStatus` reads, shaped as grpc-js's `Metadata.get`. */
export class LiteMetadata {
  private readonly map = new Map<string, Array<string | Buffer>>();

  /** Adds a header's value; `-bin` keys carry base64 bytes (several joined by commas). */
  add(key: string, value: string): void {
    const k = key.toLowerCase();
    const list = this.map.get(k) ?? [];
    if (k.endsWith('-bin')) for (const part of value.split(',')) list.push(Buffer.from(part.trim(), 'base64'));
    else list.push(value);
    this.map.set(k, list);
  }

  /** The values of `key` (none: an empty list). */
  get(key: string): Array<string | Buffer> {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  /** Every key and its first value. */
  getMap(): Record<string, string | Buffer> {
    return Object.fromEntries([...this.map].map(([k, v]) => [k, v[0] as string | Buffer]));
  }
}

/** The error a failed call reports, shaped as grpc-js's `ServiceError`. */
export interface LiteServiceError extends Error {
  code: number;
  details: string;
  metadata: LiteMetadata;
}

/** A {@link LiteServiceError}. */
export function serviceError(code: number, details: string, metadata = new LiteMetadata()): LiteServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

/** Where and how to connect: the grpc-js target string, its security and the channel options tscr uses. */
export interface LiteChannel extends ConnectTarget {
  /** `grpc.max_receive_message_length` (default 4 MiB, as grpc-js). */
  maxReceive: number;
  /** `grpc.max_send_message_length` (default unlimited, as grpc-js). */
  maxSend: number;
}

interface Shared {
  session: WireSession;
  users: number;
}

const sessions = new Map<string, Shared>();

function sessionKey(ch: LiteChannel): string {
  return ch.security.kind === 'insecure' ? `plain ${ch.target}` : '';
}

/** A connection to `ch` (shared for plain channels), counted until {@link release}. */
export function acquire(ch: LiteChannel): { session: WireSession; release: () => void } {
  const key = sessionKey(ch);
  let shared = key ? sessions.get(key) : undefined;
  if (!shared || shared.session.closed || shared.session.destroyed) {
    const session = openSession(ch);
    // Errors reach the calls as stream errors; an idle connection that fails must not crash the CLI.
    session.on('error', () => undefined);
    shared = { session, users: 0 };
    if (key) {
      sessions.set(key, shared);
      session.once('close', () => {
        if (sessions.get(key)?.session === session) sessions.delete(key);
      });
    }
  }
  shared.users++;
  const s = shared;
  let released = false;
  return {
    session: s.session,
    release() {
      if (released) return;
      released = true;
      if (--s.users === 0) {
        if (sessions.get(key)?.session === s.session) sessions.delete(key);
        s.session.close();
      }
    },
  };
}

function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const RESERVED = new Set([
  'content-type',
  'grpc-status',
  'grpc-message',
  'grpc-encoding',
  'grpc-accept-encoding',
  'te',
  'user-agent',
  'date',
]);

function readMetadata(into: LiteMetadata, headers: Record<string, string | string[] | undefined>): void {
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(':') || RESERVED.has(k) || v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) into.add(k, value);
  }
}

/** The handle a caller cancels. */
export interface LiteCall {
  cancel(): void;
}

/** What {@link startCall} reports: each message's bytes, then the call's end once. */
export interface CallEvents {
  /** One message; return false to stop reading until `resume()` (flow control). */
  onMessage(bytes: Buffer): boolean;
  /** The call ended: `null` for status OK, else the error (connection failures are UNAVAILABLE, as with grpc-js). */
  onEnd(err: LiteServiceError | null): void;
}

/** A started call: write framed messages to `stream`, end it, or cancel. */
export interface StartedCall extends LiteCall {
  /** Absent when the request could not even be sent (`onEnd` follows). */
  stream: WireStream | undefined;
  /** Frames `message` and writes it; false when the stream wants a 'drain' first. */
  write(message: Buffer): boolean;
  /** Reads again after `onMessage` returned false. */
  resume(): void;
}

/**
 * Opens one call to `path`: the request headers now, then the answer's headers,
 * messages (de-framed, each checked against the channel's receive limit) and
 * status (the trailers, or the headers of a trailers-only answer).
 */
export function startCall(session: WireSession, ch: LiteChannel, path: string, ev: CallEvents): StartedCall {
  let ended = false;
  const end = (err: LiteServiceError | null) => {
    if (ended) return;
    ended = true;
    ev.onEnd(err);
  };
  let stream: WireStream;
  try {
    stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
  } catch (err) {
    queueMicrotask(() => end(serviceError(UNAVAILABLE, `No connection established: ${(err as Error).message}`)));
    return { stream: undefined, write: () => true, resume: () => undefined, cancel: () => undefined };
  }
  const metadata = new LiteMetadata();
  let pending: Buffer = Buffer.alloc(0);
  let answered = false;
  let outcome: { code: number; details: string } | undefined;
  const fail = (err: LiteServiceError) => {
    end(err);
    stream.close(CANCEL);
  };
  const takeStatus = (headers: Record<string, string | string[] | undefined>) => {
    readMetadata(metadata, headers);
    const code = headers['grpc-status'];
    if (code === undefined) return;
    const message = headers['grpc-message'];
    outcome = { code: Number(code), details: percentDecode(typeof message === 'string' ? message : '') };
  };
  stream.on('response', (headers) => {
    answered = true;
    const status = Number(headers[':status']);
    const type = String(headers['content-type'] ?? '');
    if (status !== 200 || !type.startsWith('application/grpc')) {
      fail(serviceError(status === 200 ? UNAVAILABLE : INTERNAL, `Received HTTP status ${status} (${type})`));
      return;
    }
    takeStatus(headers);
  });
  stream.on('trailers', takeStatus);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (!ended && pending.length >= 5) {
      if (pending[0] !== 0) return fail(serviceError(INTERNAL, 'Compressed message not requested'));
      const length = pending.readUInt32BE(1);
      if (length > ch.maxReceive) {
        return fail(
          serviceError(RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${ch.maxReceive})`),
        );
      }
      if (pending.length < 5 + length) return;
      const message = pending.subarray(5, 5 + length);
      pending = pending.subarray(5 + length);
      if (!ev.onMessage(message)) stream.pause();
    }
  });
  const settle = () => {
    if (!answered) end(serviceError(UNAVAILABLE, 'Connection dropped before the call was answered'));
    else if (outcome === undefined) {
      end(serviceError(INTERNAL, 'Received RST_STREAM or end of stream without a grpc-status', metadata));
    } else if (outcome.code !== 0) end(serviceError(outcome.code, outcome.details, metadata));
    else if (pending.length) end(serviceError(INTERNAL, 'The answer ended inside a message'));
    else end(null);
  };
  // The answer is complete at 'end' (after its trailers), even while our side is still open (a
  // bidirectional call whose requests have not ended): the status is known, the stream is done with.
  stream.on('end', () => {
    if (outcome === undefined) return;
    settle();
    if (!stream.closed) stream.close(NO_ERROR);
  });
  // 'close' comes after the trailers, the last data and 'error': whatever is not settled yet is now.
  stream.on('close', settle);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (answered) end(serviceError(INTERNAL, err.message));
    else end(serviceError(UNAVAILABLE, `No connection established: ${err.message}`));
  });
  return {
    stream,
    write(message) {
      if (message.length > ch.maxSend) {
        fail(serviceError(RESOURCE_EXHAUSTED, `Sent message larger than max (${message.length} vs. ${ch.maxSend})`));
        return true;
      }
      return stream.write(frame(message));
    },
    resume: () => stream.resume(),
    cancel() {
      fail(serviceError(CANCELLED, 'Cancelled on client'));
    },
  };
}

/**
 * Sends `request` to `path` and calls `done` once with the decoded response or a
 * {@link LiteServiceError} (connection failures are UNAVAILABLE, as with grpc-js).
 */
export function unaryCall(
  session: WireSession,
  ch: LiteChannel,
  path: string,
  request: Buffer,
  decode: (b: Buffer) => unknown,
  done: (err: LiteServiceError | null, res?: unknown) => void,
): LiteCall {
  let answer: Buffer | undefined;
  let settled = false;
  const settle = (err: LiteServiceError | null) => {
    if (settled) return;
    settled = true;
    mark('call ended');
    if (err) return done(err);
    if (!answer) return done(serviceError(INTERNAL, 'No message received'));
    try {
      done(null, decode(answer));
    } catch (e) {
      done(serviceError(INTERNAL, `Response message parsing error: ${(e as Error).message}`));
    }
  };
  const call = startCall(session, ch, path, {
    // The call ends with its one answer message, not with the status trailers a Node HTTP/2 server writes a
    // turn of its event loop later (as the library's clients do: answer-early.ts in @tscr/api). An error
    // status comes alone, and is still waited for.
    onMessage(bytes) {
      answer ??= bytes;
      settle(null);
      return true;
    },
    onEnd: settle,
  });
  if (call.stream) {
    call.write(request);
    call.stream.end();
  }
  return call;
}
