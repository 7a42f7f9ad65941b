import { invalidArgument } from './errors.js';

/** Unix time in nanoseconds (microsecond resolution). */
export function nowNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;
const UNIX = /^(\d+)(?:\.(\d{1,9}))?$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A time as `events --since/--until` take it, in Unix nanoseconds: RFC 3339
 * (`2026-11-28T17:00:00Z`), Unix seconds with an optional fraction
 * (`1764349200.5`), or a Go duration back from `now` (`10m`, `1h30m`).
 * @throws InvalidArgument otherwise.
 */
export function parseEventTime(text: string, now = nowNano()): bigint {
  const t = text.trim();
  const rfc = RFC3339.exec(t);
  if (rfc) {
    const ms = Date.parse(`${rfc[1]}${rfc[3]!.toUpperCase()}`);
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n + BigInt((rfc[2] ?? '').padEnd(9, '0'));
  }
  const unix = UNIX.exec(t);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  if (t && t.replace(DURATION_PART, '') === '') {
    let ns = 0;
    for (const m of t.matchAll(DURATION_PART)) ns += Number(m[1]) * UNIT_NS[m[2]!]!;
    return now - BigInt(Math.round(ns));
  }
  throw invalidArgument(`invalid time ${JSON.stringify(text)}: want RFC 3339, Unix seconds or a duration like 10m`, {
    details: { reason: 'InvalidTime' },
  });
}
