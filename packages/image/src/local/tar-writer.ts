/** Tar headers (POSIX ustar, with PAX records for what ustar cannot hold), written by hand so output is byte-stable. */

const BLOCK = 512;

/** Kinds of entries a layer holds. */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** One tar entry's header fields. */
export interface TarHeader {
  /** Relative path, `/`-separated, no leading `/`; directories without the trailing `/`. */
  path: string;
  type: TarEntryType;
  /** Permission bits incl. setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Content length (regular files only). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function writeString(buf: Buffer, at: number, width: number, value: string): void {
  buf.write(value, at, Math.min(width, Buffer.byteLength(value)), 'utf8');
}

function writeOctal(buf: Buffer, at: number, width: number, value: number): void {
  writeString(buf, at, width, `${value.toString(8).padStart(width - 1, '0')}\0`);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let total = bodyLength + 1;
  while (String(total).length + bodyLength !== total) total = String(total).length + bodyLength;
  return `${total}${body}`;
}

function block(h: TarHeader, name: string, typeflag: string, size: number, linkname: string): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, 0, 100, name);
  writeOctal(buf, 100, 8, h.mode & 0o7777);
  writeOctal(buf, 108, 8, Math.min(h.uid, MAX_OCTAL_8));
  writeOctal(buf, 116, 8, Math.min(h.gid, MAX_OCTAL_8));
  writeOctal(buf, 124, 12, size);
  writeOctal(buf, 136, 12, Math.min(Math.max(h.mtime, 0), MAX_OCTAL_12));
  buf.fill(0x20, 148, 156);
  buf.write(typeflag, 156, 1, 'ascii');
  writeString(buf, 157, 100, linkname);
  buf.write('ustar\u000000', 257, 8, 'binary');
  writeOctal(buf, 329, 8, h.devmajor ?? 0);
  writeOctal(buf, 337, 8, h.devminor ?? 0);
  let sum = 0;
  for (const b of buf) sum += b;
  writeString(buf, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return buf;
}

/** Zero bytes that pad content of `size` to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

/**
 * The header block(s) of one entry: a PAX extended header first when the
 * path or link target is longer than ustar holds (or not ASCII), or a
 * number is too big for its field.
 */
export function tarHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' ? `${h.path}/` : h.path;
  const linkname = h.linkname ?? '';
  const size = h.type === 'file' ? h.size : 0;
  const pax: string[] = [];
  const wide = (s: string) => Buffer.byteLength(s) > 99 || !/^[\x20-\x7e]*$/.test(s);
  if (wide(name)) pax.push(paxRecord('path', name));
  if (wide(linkname)) pax.push(paxRecord('linkpath', linkname));
  if (h.uid > MAX_OCTAL_8) pax.push(paxRecord('uid', String(h.uid)));
  if (h.gid > MAX_OCTAL_8) pax.push(paxRecord('gid', String(h.gid)));
  if (size > MAX_OCTAL_12) pax.push(paxRecord('size', String(size)));
  const main = block(h, name.slice(0, 99), TYPE_FLAG[h.type], size > MAX_OCTAL_12 ? 0 : size, linkname.slice(0, 99));
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(''), 'utf8');
  const paxName = `PaxHeaders.0/${name.replace(/\/$/, '').split('/').pop() ?? ''}`.slice(0, 99);
  const head = block({ ...h, mode: 0o644 }, paxName, 'x', body.length, '');
  return Buffer.concat([head, body, padding(body.length), main]);
}
