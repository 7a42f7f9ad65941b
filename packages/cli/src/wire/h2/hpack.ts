/**
 * HPACK (RFC 7541) for the CLI's own HTTP/2 client: a full decoder for what
 * servers send (static and dynamic table, Huffman-coded strings, table size
 * updates) and an encoder for requests that never touches the peer's dynamic
 * table (indexed static fields and literals without indexing, no Huffman), so
 * the encoder keeps no state.
 */

/** A decoding failure: the connection has to end with COMPRESSION_ERROR. */
export class HpackError extends Error {}

/** The static table (RFC 7541 appendix A), index 1 first; "name value" pairs, the value after the first space. */
const STATIC_TEXT = [
  ':authority',
  ':method GET',
  ':method POST',
  ':path /',
  ':path /index.html',
  ':scheme http',
  ':scheme https',
  ':status 200',
  ':status 204',
  ':status 206',
  ':status 304',
  ':status 400',
  ':status 404',
  ':status 500',
  'accept-charset',
  'accept-encoding gzip, deflate',
  'accept-language',
  'accept-ranges',
  'accept',
  'access-control-allow-origin',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'link',
  'location',
  'max-forwards',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'refresh',
  'retry-after',
  'server',
  'set-cookie',
  'strict-transport-security',
  'transfer-encoding',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
];

/** The static table as [name, value] pairs, index 1 at position 0. */
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = STATIC_TEXT.map((entry) => {
  const space = entry.indexOf(' ');
  return space < 0 ? [entry, ''] : [entry.slice(0, space), entry.slice(space + 1)];
});

/**
 * The Huffman code's lengths in bits for symbols 0–256 (256 is EOS), one base-32 digit each (RFC 7541
 * appendix B). The code is canonical: sorted by length, then by symbol, each code is the previous plus one
 * (shifted left when the length grows), so the lengths alone define it.
 */
const HUFFMAN_LENGTHS =
  'dnsssssssoussussssssssusssssssss6aacd68baa8b8666555666666678f6cad6777777777777777777777787' +
  '8djde6f56565666577666567655677777fbedskmkkmmmnmnnnnnonoomnonnnnlmnmnnomlkmmnnlnmmolmnnllml' +
  'nmnnkmmmnmmnqqkjmnmpqqqrrqopjlqrrqrollqqsrrrkoklmllnmmppooqnqrqqrrrrrsrrrrrqu';

/** The canonical code's decoding tables: per length, its first code, how many codes and where its symbols start. */
interface Canonical {
  first: Int32Array;
  count: Int32Array;
  start: Int32Array;
  symbols: Uint16Array;
}

let canonical: Canonical | undefined;

/** Built on the first Huffman-coded string (a pass over 257 lengths, no tree). */
function huffmanTables(): Canonical {
  if (canonical) return canonical;
  const count = new Int32Array(32);
  for (let sym = 0; sym < 257; sym++) count[Number.parseInt(HUFFMAN_LENGTHS[sym]!, 32)]!++;
  const start = new Int32Array(32);
  const first = new Int32Array(32);
  for (let len = 1, at = 0, code = 0; len < 32; len++) {
    start[len] = at;
    first[len] = code;
    at += count[len]!;
    code = (code + count[len]!) * 2;
  }
  const symbols = new Uint16Array(257);
  const fill = start.slice();
  for (let sym = 0; sym < 257; sym++) symbols[fill[Number.parseInt(HUFFMAN_LENGTHS[sym]!, 32)]!++] = sym;
  canonical = { first, count, start, symbols };
  return canonical;
}

/** Decodes a Huffman-coded string (RFC 7541 §5.2): padding is at most 7 one-bits, EOS never appears. */
export function huffmanDecode(bytes: Buffer): Buffer {
  const { first, count, start, symbols } = huffmanTables();
  const out = Buffer.allocUnsafe(Math.ceil((bytes.length * 8) / 5));
  let n = 0;
  let code = 0;
  let len = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      // Canonical: a code of this length is one of `count[len]` values from `first[len]` on.
      const offset = code - first[len]!;
      if (offset >= count[len]!) {
        if (len >= 30) throw new HpackError('invalid Huffman code');
        continue;
      }
      const sym = symbols[start[len]! + offset]!;
      if (sym === 256) throw new HpackError('EOS in a Huffman-coded string');
      out[n++] = sym;
      code = 0;
      len = 0;
    }
  }
  if (len > 7 || code !== (1 << len) - 1) throw new HpackError('invalid Huffman padding');
  return out.subarray(0, n);
}

/** One decoded field list, in order. */
export type HeaderList = Array<[string, string]>;

/** An HPACK decoder: one per connection, fed every header block in the order received. */
export class HpackDecoder {
  /** Newest first. */
  private dynamic: Array<[string, string]> = [];
  private size = 0;
  private max: number;

  /** @param limit the table size this side announced (SETTINGS_HEADER_TABLE_SIZE; 4096 by default). */
  constructor(
    private readonly limit = 4096,
    private readonly maxListSize = 1024 * 1024,
  ) {
    this.max = limit;
  }

  /** Decodes one complete header block. @throws HpackError on anything malformed. */
  decode(block: Buffer): HeaderList {
    const fields: HeaderList = [];
    let listSize = 0;
    let pos = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      if (pos >= block.length) throw new HpackError('truncated integer');
      let value = block[pos++]! & mask;
      if (value < mask) return value;
      let shift = 0;
      for (;;) {
        if (pos >= block.length) throw new HpackError('truncated integer');
        const b = block[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (value > 0x7fffffff) throw new HpackError('integer too large');
        if ((b & 0x80) === 0) return value;
      }
    };
    const str = (): string => {
      if (pos >= block.length) throw new HpackError('truncated string');
      const huffman = (block[pos]! & 0x80) !== 0;
      const length = int(7);
      if (pos + length > block.length) throw new HpackError('truncated string');
      const raw = block.subarray(pos, pos + length);
      pos += length;
      return (huffman ? huffmanDecode(raw) : raw).toString('latin1');
    };
    const lookup = (index: number): readonly [string, string] => {
      if (index === 0) throw new HpackError('index 0');
      const entry =
        index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : this.dynamic[index - STATIC_TABLE.length - 1];
      if (!entry) throw new HpackError(`index ${index} out of the table`);
      return entry;
    };
    let fieldSeen = false;
    while (pos < block.length) {
      const first = block[pos]!;
      let field: readonly [string, string];
      if (first & 0x80) field = lookup(int(7));
      else if ((first & 0xc0) === 0x40) {
        const index = int(6);
        const name = index ? lookup(index)[0] : str();
        field = [name, str()];
        this.insert(field[0], field[1]);
      } else if ((first & 0xe0) === 0x20) {
        // A table size update: only at the start of a block, never above what this side allowed.
        if (fieldSeen) throw new HpackError('table size update after a field');
        const max = int(5);
        if (max > this.limit) throw new HpackError('table size update above the limit');
        this.max = max;
        this.evict(0);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001): 4-bit name index.
        const index = int(4);
        const name = index ? lookup(index)[0] : str();
        field = [name, str()];
      }
      fieldSeen = true;
      listSize += field[0].length + field[1].length + 32;
      if (listSize > this.maxListSize) throw new HpackError('header list too large');
      fields.push([field[0], field[1]]);
    }
    return fields;
  }

  private evict(room: number): void {
    while (this.size + room > this.max && this.dynamic.length) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + 32;
    this.evict(entrySize);
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    if (entrySize > this.max) return;
    this.dynamic.unshift([name, value]);
    this.size += entrySize;
  }
}

function encodeInt(out: number[], value: number, prefixBits: number, flags: number): void {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) {
    out.push(flags | value);
    return;
  }
  out.push(flags | mask);
  let rest = value - mask;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function encodeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  encodeInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/**
 * Encodes a request's fields: a field the static table has whole is one index byte, any other a literal
 * without indexing (its name by static index when the table has the name). Names must be lowercase.
 */
export function encodeHeaders(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    let nameIndex = 0;
    let whole = 0;
    for (let i = 0; i < STATIC_TABLE.length && !whole; i++) {
      const [n, v] = STATIC_TABLE[i]!;
      if (n !== name) continue;
      if (v === value) whole = i + 1;
      else nameIndex ||= i + 1;
    }
    if (whole) {
      encodeInt(out, whole, 7, 0x80);
      continue;
    }
    encodeInt(out, nameIndex, 4, 0);
    if (!nameIndex) encodeString(out, name);
    encodeString(out, value);
  }
  return Buffer.from(out);
}
