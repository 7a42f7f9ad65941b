/**
 * The server side of SPDY/3.1 as Kubernetes' streaming clients use it
 * (client-go over moby/spdystream): a connection upgraded from HTTP carries
 * streams the client opens (SYN_STREAM), each answered with SYN_REPLY, with
 * DATA frames both ways and FIN to half-close. No flow control (spdystream
 * sends no WINDOW_UPDATE and ignores ours), no server push.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;
/** An empty stored deflate block (what zlib's Z_SYNC_FLUSH writes). */
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
/** Largest frame payload we accept (header blocks and data): 16 MiB. */
const MAX_FRAME = 1 << 24;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/**
 * SPDY/3's header compression dictionary (draft-mbelshe-httpbis-spdy-00,
 * section 2.6.10.1): these names and values, each after a 4-byte big-endian
 * length, then the literal tail.
 */
const DICTIONARY_WORDS =
  'options,head,post,put,delete,trace,accept,accept-charset,accept-encoding,accept-language,accept-ranges,age,' +
  'allow,authorization,cache-control,connection,content-base,content-encoding,content-language,content-length,' +
  'content-location,content-md5,content-range,content-type,date,etag,expect,expires,from,host,if-match,' +
  'if-modified-since,if-none-match,if-range,if-unmodified-since,last-modified,location,max-forwards,pragma,' +
  'proxy-authenticate,proxy-authorization,range,referer,retry-after,server,te,trailer,transfer-encoding,upgrade,' +
  'user-agent,vary,via,warning,www-authenticate,method,get,status,200 OK,version,HTTP/1.1,url,public,set-cookie,' +
  'keep-alive,origin';
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The dictionary's bytes. */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.split(',').flatMap((w) => [u32(Buffer.byteLength(w)), Buffer.from(w)]),
  Buffer.from(DICTIONARY_TAIL),
]);

/** Encodes a header block (`count`, then length-prefixed names and values). */
function encodeHeaders(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(v);
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

function decodeHeaders(block: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    const nl = block.readUInt32BE(off);
    const name = block.subarray(off + 4, off + 4 + nl).toString();
    off += 4 + nl;
    const vl = block.readUInt32BE(off);
    // Several values of one name are joined by NUL; the first is enough here.
    const value =
      block
        .subarray(off + 4, off + 4 + vl)
        .toString()
        .split('\0')[0] ?? '';
    off += 4 + vl;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** One stream the client opened. */
export class SpdyStream {
  /** What the client sends; ends at its FIN. */
  readonly input = new PassThrough();
  private closedLocal = false;

  constructor(
    private readonly conn: SpdyConnection,
    readonly id: number,
    /** Header names are lower case (`streamtype`, `port`, `requestid`). */
    readonly headers: Record<string, string>,
  ) {}

  /** Sends data; resolves once the socket took it (waits for 'drain'). */
  write(data: Uint8Array): Promise<void> {
    if (this.closedLocal || data.length === 0) return Promise.resolve();
    return this.conn.sendData(this.id, Buffer.from(data), false);
  }

  /** Half-closes our side (an empty DATA frame with FIN). */
  end(): Promise<void> {
    if (this.closedLocal) return Promise.resolve();
    this.closedLocal = true;
    return this.conn.sendData(this.id, Buffer.alloc(0), true);
  }

  /** The client reset it, or the connection is gone. */
  abort(): void {
    this.closedLocal = true;
    this.input.end();
  }
}

/**
 * A SPDY/3.1 server connection over an upgraded socket. Emits `stream`
 * ({@link SpdyStream}) for every stream the client opens (already answered),
 * and `close` once the socket is gone.
 */
export class SpdyConnection extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  /** Every compressed header block received so far (zlib keeps one stream per direction). */
  private compressedIn: Buffer = Buffer.alloc(0);
  private inflatedLength = 0;
  private sentHeaders = false;
  private closed = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.shutdown());
    socket.on('error', () => this.shutdown());
  }

  /** Closes the connection (GOAWAY, then the socket). */
  close(): void {
    if (this.closed) return;
    const body = Buffer.concat([u32(0), u32(0)]);
    this.socket.end(this.control(GOAWAY, 0, body));
    this.shutdown();
  }

  /** Resolves once the socket took the frame. */
  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id & 0x7fffffff, 0);
    header.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
    return this.write(Buffer.concat([header, data]));
  }

  private write(frame: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.socket.write(frame)) return Promise.resolve();
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

  private control(type: number, flags: number, body: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | 3, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE((flags << 24) | body.length, 4);
    return Buffer.concat([header, body]);
  }

  /**
   * Our header blocks as zlib data without compression: a stored deflate
   * block each (and an empty one), after the zlib header on the first. Any inflater (with or
   * without the dictionary) reads them, and no compressor state is needed.
   */
  private headerBlock(headers: Record<string, string>): Buffer {
    const raw = encodeHeaders(headers);
    const stored = Buffer.alloc(5);
    stored.writeUInt8(0, 0);
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    const prefix = this.sentHeaders ? Buffer.alloc(0) : Buffer.from([0x78, 0x01]);
    this.sentHeaders = true;
    // An empty stored block ends each one, as zlib's sync flush does: inflaters (Go's flate)
    // hand out a block's data only when the next block header has been read.
    return Buffer.concat([prefix, stored, raw, SYNC_FLUSH]);
  }

  private inflate(block: Buffer): Record<string, string> {
    this.compressedIn = Buffer.concat([this.compressedIn, block]);
    const all = inflateSync(this.compressedIn, { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const fresh = all.subarray(this.inflatedLength);
    this.inflatedLength = all.length;
    return decodeHeaders(fresh);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      while (this.buf.length >= 8) {
        const length = this.buf.readUInt32BE(4) & 0xffffff;
        if (length > MAX_FRAME) throw new Error(`frame of ${length} bytes`);
        if (this.buf.length < 8 + length) break;
        const frame = this.buf.subarray(0, 8 + length);
        this.buf = this.buf.subarray(8 + length);
        this.onFrame(frame);
      }
    } catch (err) {
      this.emit('protocolError', err);
      this.socket.destroy();
    }
  }

  private onFrame(frame: Buffer): void {
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const stream = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (!stream) return;
      if (body.length > 0) stream.input.write(Buffer.from(body));
      if (flags & FLAG_FIN) stream.input.end();
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = this.inflate(body.subarray(10));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        const reply = Buffer.concat([u32(id), this.headerBlock({})]);
        void this.write(this.control(SYN_REPLY, 0, reply));
        if (flags & FLAG_FIN) stream.input.end();
        this.emit('stream', stream);
        return;
      }
      case RST_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(id)?.abort();
        this.streams.delete(id);
        return;
      }
      case PING:
        void this.write(this.control(PING, 0, Buffer.from(body)));
        return;
      case GOAWAY:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do for this server.
        return;
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.abort();
    this.streams.clear();
    this.emit('close');
  }
}
