import { invalidArgument } from './errors.js';
import { nowNano, parseEventTime } from './time.js';

/** One parsed prune `--filter`: a label test, or an age limit. */
export type PruneFilter =
  | { kind: 'label'; key: string; value?: string; negate: boolean }
  | { kind: 'until' /** Objects created before this Unix time (ms) match. */; beforeMs: number };

/**
 * Parses Docker's prune filters: `label=KEY`, `label=KEY=VALUE`, `label!=KEY[=VALUE]`, and
 * `until=TIME` (RFC 3339, Unix seconds, or a duration back from now such as `24h`).
 * @throws InvalidArgument for anything else.
 */
export function parsePruneFilters(filters: readonly string[] = [], now = nowNano()): PruneFilter[] {
  return filters.map((f) => {
    const until = /^until=(.+)$/.exec(f);
    if (until) return { kind: 'until', beforeMs: Number(parseEventTime(until[1]!, now) / 1_000_000n) };
    const m = /^label(!?)=(.+)$/.exec(f);
    if (!m) {
      throw invalidArgument(
        `invalid prune filter ${JSON.stringify(f)}: want label=KEY[=VALUE], label!=KEY[=VALUE] or until=TIME`,
        { details: { filter: f } },
      );
    }
    const [key, ...rest] = m[2]!.split('=');
    return {
      kind: 'label',
      key: key!,
      negate: m[1] === '!',
      ...(rest.length > 0 ? { value: rest.join('=') } : {}),
    };
  });
}

/** True when `labels` pass every label filter (age filters are not looked at). */
export function labelsMatch(filters: readonly PruneFilter[], labels: Record<string, string> = {}): boolean {
  return filters.every((f) => {
    if (f.kind !== 'label') return true;
    const hit = f.key in labels && (f.value === undefined || labels[f.key] === f.value);
    return f.negate ? !hit : hit;
  });
}

/** True when an object created at `created` (RFC 3339) passes every `until` filter. */
export function createdBefore(filters: readonly PruneFilter[], created: string): boolean {
  const t = Date.parse(created);
  return filters.every((f) => f.kind !== 'until' || (!Number.isNaN(t) && t < f.beforeMs));
}
