/**
 * Small parsers for compose's short syntaxes: byte sizes, durations, a
 * POSIX-shell word split for string commands, published ports, mounts.
 * Each throws a plain Error with the reason; callers add file, path and line.
 */
import type { PortConfig, ServiceVolumeConfig } from '../model.js';

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `64m`, `1gb`, `512`, 1024 → bytes. */
export function parseBytes(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(String(v).trim());
  if (!m)
    throw new Error(`invalid size ${JSON.stringify(v)}: want a number of bytes with an optional unit (b, k, m, g)`);
  return Math.round(Number(m[1]) * UNITS[(m[2] || 'b').toLowerCase()]!);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's duration notation (`1m30s`, `500ms`, `10s`) → milliseconds. */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number') return v * 1000;
  const s = String(v).trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let used = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    used = re.lastIndex;
  }
  if (used !== s.length || s === '')
    throw new Error(`invalid duration ${JSON.stringify(v)}: want e.g. 10s, 1m30s, 500ms`);
  return total;
}

/** Milliseconds → Go's `time.Duration` string (`1m30s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let out = '';
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return `${out}${Number((rest / 1000).toFixed(3))}s`;
}

/** Splits a command string into words as a POSIX shell would (quotes and backslashes; no expansions). */
export function shellSplit(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in ${JSON.stringify(s)}`);
      cur += s.slice(i + 1, end);
      has = true;
      i = end;
    } else if (c === '"') {
      has = true;
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) i++;
        cur += s[i];
      }
      if (i >= s.length) throw new Error(`unterminated double quote in ${JSON.stringify(s)}`);
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

function portNumber(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535)
    throw new Error(`invalid ${what} ${JSON.stringify(s)}: must be between 1 and 65535`);
  return n;
}

function portRange(s: string, what: string): [number, number] {
  const [a, b] = s.split('-', 2);
  const lo = portNumber(a!, what);
  const hi = b === undefined ? lo : portNumber(b, what);
  if (hi < lo) throw new Error(`invalid ${what} range ${JSON.stringify(s)}`);
  return [lo, hi];
}

/** `[HOST_IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTOCOL]` (or a number) → long syntax, one entry per port. */
export function parsePortShort(v: string | number): PortConfig[] {
  let s = String(v).trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') throw new Error(`invalid protocol ${JSON.stringify(p)}: want tcp or udp`);
    protocol = p;
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    hostIp = s.slice(1, end);
    s = s.slice(end + 2);
  }
  const parts = s.split(':');
  if (parts.length > 3) throw new Error(`invalid port ${JSON.stringify(String(v))}`);
  if (parts.length === 3) hostIp = parts.shift();
  const [container, host] = parts.length === 2 ? [parts[1]!, parts[0]!] : [parts[0]!, ''];
  const [clo, chi] = portRange(container, 'container port');
  const out: PortConfig[] = [];
  if (host === '') {
    for (let p = clo; p <= chi; p++) out.push(port(p, undefined, hostIp, protocol));
    return out;
  }
  const [hlo, hhi] = portRange(host, 'published port');
  if (hhi - hlo !== chi - clo && clo !== chi) {
    throw new Error(`invalid port ${JSON.stringify(String(v))}: the host and container ranges differ in size`);
  }
  if (clo === chi) return [port(clo, hlo === hhi ? String(hlo) : `${hlo}-${hhi}`, hostIp, protocol)];
  for (let p = clo; p <= chi; p++) out.push(port(p, String(hlo + p - clo), hostIp, protocol));
  return out;
}

function port(
  target: number,
  published: string | undefined,
  hostIp: string | undefined,
  protocol: 'tcp' | 'udp',
): PortConfig {
  return {
    mode: 'ingress',
    ...(hostIp && { host_ip: hostIp }),
    target,
    ...(published !== undefined && { published }),
    protocol,
  };
}

/** Checks a published port or range of the long syntax. */
export function checkPublished(v: string): string {
  portRange(v, 'published port');
  return v;
}

/** Checks a container port. */
export function checkTarget(v: unknown): number {
  return portNumber(String(v), 'container port');
}

const BIND_START = /^(\.|\/|~)/;

/**
 * `SRC:DST[:MODE]` or `DST` → long syntax; relative and `~` bind sources are
 * made absolute with `resolvePath`.
 */
export function parseVolumeShort(s: string, resolvePath: (p: string) => string): ServiceVolumeConfig {
  const parts = s.split(':');
  if (parts.length > 3 || parts.some((p) => p === ''))
    throw new Error(`invalid volume specification ${JSON.stringify(s)}`);
  if (parts.length === 1) return { type: 'volume', target: checkTarget_(parts[0]!), volume: {} };
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const modes = mode ? mode.split(',') : [];
  for (const m of modes) {
    if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent'].includes(m)) {
      throw new Error(`invalid mode ${JSON.stringify(m)} in volume ${JSON.stringify(s)}`);
    }
  }
  const v: ServiceVolumeConfig = BIND_START.test(src)
    ? { type: 'bind', source: resolvePath(src), target: checkTarget_(dst) }
    : { type: 'volume', source: src, target: checkTarget_(dst) };
  if (modes.includes('ro')) v.read_only = true;
  if (v.type === 'bind') v.bind = { create_host_path: true };
  else v.volume = modes.includes('nocopy') ? { nocopy: true } : {};
  return v;
}

function checkTarget_(t: string): string {
  if (!t.startsWith('/')) throw new Error(`invalid mount target ${JSON.stringify(t)}: must be an absolute path`);
  return t;
}
