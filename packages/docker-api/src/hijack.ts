/**
 * Container streams as dockerd sends them: hijacked connections (`Upgrade:
 * tcp` → `101 UPGRADED`, then raw bytes both ways) or plain responses; the
 * 8-byte stdcopy frame header without a TTY, raw bytes with one; stdin from
 * the hijacked socket until the client half-closes it.
 */
import type { Duplex, Readable } from 'node:stream';
import { type Ctx, response, writeChunk, writeRawHead } from './http.js';

/** stdcopy stream numbers. */
const STREAM_IDS = { stdin: 0, stdout: 1, stderr: 2 } as const;

/** One frame: `[stream, 0, 0, 0, size (uint32 BE)]` then the bytes. */
export function frame(stream: 'stdin' | 'stdout' | 'stderr', data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + data.length);
  out.writeUInt32BE(0, 0);
  out[0] = STREAM_IDS[stream];
  out.writeUInt32BE(data.length, 4);
  out.set(data, 8);
  return out;
}

/** Splits a stdcopy stream back into frames (for tests and clients). */
export function* parseFrames(buf: Buffer): Generator<{ stream: number; data: Buffer }> {
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    if (at + 8 + size > buf.length) return;
    yield { stream: buf[at] ?? 0, data: buf.subarray(at + 8, at + 8 + size) };
    at += 8 + size;
  }
}

/** The content type of a container stream (since API 1.42 it tells TTY from multiplexed). */
export function streamContentType(version: number, tty: boolean): string {
  if (version < 42) return 'application/vnd.docker.raw-stream';
  return tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
}

/** A container stream opened towards the client. */
export interface ContainerStream {
  /** Sends output; resolves false once the client is gone. Frames it unless TTY. */
  write(stream: 'stdout' | 'stderr', data: Uint8Array): Promise<boolean>;
  /** Ends the output (and the connection, when hijacked). */
  end(): void;
  /** Stdin from a hijacked connection; ends when the client half-closes. Undefined when not hijacked. */
  input?: AsyncIterable<Uint8Array>;
}

/** Reads a hijacked socket (after the bytes already in `head`) until the client half-closes. */
async function* socketInput(socket: Duplex, head: Buffer): AsyncGenerator<Uint8Array> {
  if (head.length) yield head;
  // Not `for await (… of socket)`: ending that loop would destroy the socket, output side included.
  for await (const chunk of (socket as Readable).iterator({ destroyOnReturn: false })) yield chunk as Buffer;
}

/**
 * Answers the request with a stream: `101 UPGRADED` on a hijacked
 * connection, else `200` with the stream as the body.
 */
export function openContainerStream(ctx: Ctx, tty: boolean): ContainerStream {
  const contentType = streamContentType(ctx.version, tty);
  const encode = (stream: 'stdout' | 'stderr', data: Uint8Array) => (tty ? data : frame(stream, data));
  if (ctx.hijack) {
    const { socket, head } = ctx.hijack;
    const upgrade = (ctx.req.headers.upgrade ?? '').toLowerCase() === 'tcp';
    writeRawHead(
      socket,
      upgrade ? 101 : 200,
      upgrade
        ? { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }
        : { 'Content-Type': contentType },
    );
    return {
      write: (stream, data) => writeChunk(socket, encode(stream, data)),
      end: () => socket.end(),
      input: socketInput(socket, head),
    };
  }
  const res = response(ctx);
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  return {
    write: (stream, data) => writeChunk(res, encode(stream, data)),
    end: () => res.end(),
  };
}
