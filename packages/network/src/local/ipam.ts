import { failedPrecondition, invalidArgument, unavailable } from '@tscr/api';

/** An IPv4 prefix: `base` is the network address as an unsigned 32-bit number. */
export interface Cidr {
  base: number;
  bits: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `a.b.c.d` → number. @throws InvalidArgument. */
export function parseIp(text: string): number {
  const m = IPV4.exec(text.trim());
  if (!m) throw invalidArgument(`invalid IPv4 address ${JSON.stringify(text)}`, { details: { ip: text } });
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) throw invalidArgument(`invalid IPv4 address ${JSON.stringify(text)}`, { details: { ip: text } });
    n = n * 256 + octet;
  }
  return n;
}

/** number → `a.b.c.d`. */
export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) % 256).toString()).join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff - (2 ** (32 - bits) - 1)) >>> 0;
}

/** `a.b.c.d/n` → prefix; host bits must be zero (Docker's rule). @throws InvalidArgument. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const bad = () =>
    invalidArgument(`invalid subnet ${JSON.stringify(text)}: want a.b.c.d/n`, { details: { subnet: text } });
  if (slash < 0) throw bad();
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(bitsText)) throw bad();
  const bits = Number(bitsText);
  if (bits > 32) throw bad();
  let ip: number;
  try {
    ip = parseIp(text.slice(0, slash));
  } catch {
    throw bad();
  }
  const base = (ip & mask(bits)) >>> 0;
  if (base !== ip) {
    throw invalidArgument(`invalid subnet ${text}: host bits are set (did you mean ${formatIp(base)}/${bits}?)`, {
      details: { subnet: text },
    });
  }
  return { base, bits };
}

/** `a.b.c.d/n`. */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

/** Number of addresses in the prefix. */
export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

/** Whether `ip` lies in `c`. */
export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c);
}

/** Whether two prefixes share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/**
 * The first `/bits` subnet of `pool` that overlaps none of `taken`.
 * @throws Unavailable when the pool is exhausted.
 */
export function pickSubnet(pool: Cidr, bits: number, taken: Cidr[]): Cidr {
  if (bits < pool.bits) throw invalidArgument(`pool ${formatCidr(pool)} is smaller than a /${bits}`);
  const step = 2 ** (32 - bits);
  for (let base = pool.base; base < pool.base + size(pool); base += step) {
    const c = { base, bits };
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  throw unavailable(`no free /${bits} subnet left in the address pool ${formatCidr(pool)}`, {
    details: { pool: formatCidr(pool) },
  });
}

/** The addresses of one network's IPAM: its subnet, gateway, and the range containers get addresses from. */
export interface AddressSpace {
  subnet: Cidr;
  gateway: number;
  /** Defaults to the subnet. */
  range?: Cidr;
}

/**
 * An address for an endpoint: `wanted` when given (checked), otherwise the
 * lowest free address of the range that is neither the network/broadcast
 * address nor the gateway nor in `used`.
 * @throws InvalidArgument for an address outside the subnet; FailedPrecondition
 * when it is taken; Unavailable when the range is full.
 */
export function allocateAddress(space: AddressSpace, used: ReadonlySet<number>, wanted?: number): number {
  const { subnet, gateway } = space;
  const first = subnet.base;
  const last = subnet.base + size(subnet) - 1;
  const reserved = (ip: number) => ip === gateway || (subnet.bits < 31 && (ip === first || ip === last));
  if (wanted !== undefined) {
    if (!contains(subnet, wanted) || reserved(wanted)) {
      throw invalidArgument(`address ${formatIp(wanted)} is not a usable address of subnet ${formatCidr(subnet)}`, {
        details: { ip: formatIp(wanted), subnet: formatCidr(subnet) },
      });
    }
    if (used.has(wanted)) {
      throw failedPrecondition(`address ${formatIp(wanted)} is already in use`, { details: { ip: formatIp(wanted) } });
    }
    return wanted;
  }
  const range = space.range ?? subnet;
  for (let ip = range.base; ip < range.base + size(range); ip++) {
    if (!reserved(ip) && !used.has(ip)) return ip;
  }
  throw unavailable(`no free address left in ${formatCidr(range)}`, { details: { subnet: formatCidr(subnet) } });
}

/** Docker-style MAC from an IPv4 address: 02:42 then the four octets. */
export function macFor(ip: number): string {
  const octets = formatIp(ip)
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'));
  return ['02', '42', ...octets].join(':');
}
