/**
 * HTTP/2 frame layouts (RFC 7540 §4, §6) the CLI's client writes and reads:
 * a 9-byte header (24-bit length, type, flags, 31-bit stream id) and the few
 * payloads it builds itself.
 */

/** Frame types. */
export const DATA = 0x0;
export const HEADERS = 0x1;
export const PRIORITY = 0x2;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const PUSH_PROMISE = 0x5;
export const PING = 0x6;
export const GOAWAY = 0x7;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;

/** Flags. */
export const END_STREAM = 0x1;
export const ACK = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY_FLAG = 0x20;

/** Error codes (RFC 7540 §7). */
export const NO_ERROR = 0x0;
export const PROTOCOL_ERROR = 0x1;
export const FLOW_CONTROL_ERROR = 0x3;
export const FRAME_SIZE_ERROR = 0x6;
export const CANCEL = 0x8;
export const COMPRESSION_ERROR = 0x9;

/** Settings identifiers. */
export const SETTINGS_ENABLE_PUSH = 0x2;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
export const SETTINGS_MAX_FRAME_SIZE = 0x5;

/** The client connection preface (RFC 7540 §3.5). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** The default window and frame size before the peer's SETTINGS say otherwise. */
export const DEFAULT_WINDOW = 65535;
export const DEFAULT_FRAME_SIZE = 16384;

const NAMES: Record<number, string> = {
  0: 'NO_ERROR',
  1: 'PROTOCOL_ERROR',
  2: 'INTERNAL_ERROR',
  3: 'FLOW_CONTROL_ERROR',
  4: 'SETTINGS_TIMEOUT',
  5: 'STREAM_CLOSED',
  6: 'FRAME_SIZE_ERROR',
  7: 'REFUSED_STREAM',
  8: 'CANCEL',
  9: 'COMPRESSION_ERROR',
  10: 'CONNECT_ERROR',
  11: 'ENHANCE_YOUR_CALM',
  12: 'INADEQUATE_SECURITY',
  13: 'HTTP_1_1_REQUIRED',
};

/** An error code's name, for messages. */
export function errorName(code: number): string {
  return NAMES[code] ?? `code ${code}`;
}

/** One frame: its header and `payload`. */
export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream & MAX_WINDOW, 5);
  payload.copy(out, 9);
  return out;
}

/** A 4-byte payload (RST_STREAM's code, WINDOW_UPDATE's increment). */
export function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** A SETTINGS payload from [identifier, value] pairs. */
export function settings(pairs: Array<[number, number]>): Buffer {
  const b = Buffer.allocUnsafe(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    b.writeUInt16BE(id, i * 6);
    b.writeUInt32BE(value, i * 6 + 2);
  });
  return b;
}

/** A GOAWAY payload. */
export function goaway(lastStream: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(lastStream, 0);
  b.writeUInt32BE(code, 4);
  return b;
}

/** The payload of a DATA or HEADERS frame without its padding (and HEADERS' priority fields). */
export function unpad(payload: Buffer, flags: number, priority: boolean): Buffer | undefined {
  let start = 0;
  let end = payload.length;
  if (flags & PADDED) {
    if (payload.length < 1) return undefined;
    end -= payload[0]!;
    start = 1;
  }
  if (priority && flags & PRIORITY_FLAG) start += 5;
  return start <= end ? payload.subarray(start, end) : undefined;
}
