import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** A question of a DNS query. */
export interface DnsQuestion {
  id: number;
  name: string;
  type: number;
  /** Offset just past the question section. */
  end: number;
}

const TYPE_A = 1;

/** Parses the header and first question of a query. Undefined for anything malformed. */
export function parseQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < 17) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || len > 63) return undefined;
    off += 1;
    if (len === 0) break;
    if (off + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', off, off + len));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), end: off + 4 };
}

/** An authoritative answer to `q` with the given IPv4 addresses (none: an empty NOERROR answer). */
export function answer(msg: Buffer, q: DnsQuestion, ips: string[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  const rd = msg.readUInt16BE(2) & 0x0100;
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ips.length, 6);
  const records = ips.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(600, 6);
    rr.writeUInt16BE(4, 10);
    for (const [i, o] of ip.split('.').entries()) rr.writeUInt8(Number(o), 12 + i);
    return rr;
  });
  return Buffer.concat([header, msg.subarray(12, q.end), ...records]);
}

/** A reply to `msg` with no answer and response code `rcode` (2 SERVFAIL, 3 NXDOMAIN). */
function failure(msg: Buffer, q: DnsQuestion, rcode: number): Buffer {
  const out = answer(msg, q, []);
  out.writeUInt16BE((out.readUInt16BE(2) & ~0x0400 & ~0x000f) | rcode, 2);
  return out;
}

/** The nameservers of a resolv.conf text. */
export function nameservers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === 'nameserver' && f[1] && /^[0-9.]+$/.test(f[1]))
    .map((f) => f[1]!);
}

/** Reads the host's resolvers. */
export function hostNameservers(path = '/etc/resolv.conf'): string[] {
  try {
    return nameservers(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** Sends `msg` to `server:53` over UDP; resolves with the reply or undefined after `timeoutMs`. */
function forwardUdp(msg: Buffer, server: string, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('message', (reply) => done(reply));
    sock.on('error', () => done(undefined));
    sock.send(msg, 53, server);
  });
}

/**
 * A DNS server on one address (a bridge's gateway), UDP and TCP port 53:
 * names `lookup` knows (given the asker's address) are answered from it;
 * other single-label names get NXDOMAIN; the rest go to the host's resolvers.
 */
export class DnsServer {
  private udp?: Socket;
  private tcp?: Server;

  constructor(
    readonly address: string,
    private readonly lookup: (name: string, from: string) => string[] | undefined,
    private readonly upstream: () => string[] = () => hostNameservers(),
    private readonly port = 53,
  ) {}

  /** Binds both sockets. */
  async start(): Promise<void> {
    const udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, rinfo.address).then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, this.address, () => {
        udp.off('error', reject);
        udp.on('error', () => undefined);
        resolve();
      });
    });
    udp.unref();
    this.udp = udp;
    const tcp = createServer((conn) => {
      let buf = Buffer.alloc(0);
      conn.on('error', () => conn.destroy());
      conn.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          void this.handle(Buffer.from(msg), conn.remoteAddress ?? '').then((reply) => {
            if (!reply || conn.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            conn.write(Buffer.concat([len, reply]));
          });
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.port, this.address, () => {
        tcp.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      udp.close();
      throw err;
    });
    tcp.unref();
    this.tcp = tcp;
  }

  /** The reply to one query, or undefined to drop it. */
  async handle(msg: Buffer, from = ''): Promise<Buffer | undefined> {
    const q = parseQuery(msg);
    if (!q) return undefined;
    const name = q.name.replace(/\.$/, '');
    const ips = this.lookup(name, from.replace(/^::ffff:/, ''));
    if (ips) return answer(msg, q, q.type === TYPE_A ? ips : []);
    // A single label is a container name or nothing: it never leaves the host.
    if (!name.includes('.')) return failure(msg, q, 3);
    for (const server of this.upstream()) {
      const reply = await forwardUdp(msg, server);
      if (reply) return reply;
    }
    return failure(msg, q, 2);
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }
}
