import { humanDuration, unimplemented } from '@tscr/api';

/** Output helpers shaped like the docker CLI's: aligned tables, human sizes and times, short IDs. */

export { humanDuration };

/**
 * Lays out rows in columns like docker's tabwriter (minimum cell width 10,
 * padding 3): every column but the last is padded. Returns text ending in a newline.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(10, ...all.map((r) => (r[c] ?? '').length + 3)));
  return all
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scaled(bytes: number, base: number, units: string[], precision: number): string {
  let v = bytes;
  let u = 0;
  while (v >= base && u < units.length - 1) {
    v /= base;
    u += 1;
  }
  return `${Number(v.toPrecision(precision))}${units[u]}`;
}

/** Sizes as `docker images` shows them: decimal units, 3 significant digits (`2.14MB`, `512B`). */
export function humanSize(bytes: number): string {
  return scaled(bytes, 1000, DECIMAL_UNITS, 3);
}

/** Memory as `docker info` shows it: binary units, 4 significant digits (`7.637GiB`). */
export function binarySize(bytes: number): string {
  return scaled(bytes, 1024, BINARY_UNITS, 4);
}

/** `2 minutes ago` for an RFC 3339 time; `N/A` when it is empty or unparsable. */
export function timeAgo(rfc3339: string, now: number = Date.now()): string {
  const t = Date.parse(rfc3339);
  if (!rfc3339 || Number.isNaN(t)) return 'N/A';
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

/** The 12-hex-digit short form of an ID, without any `sha256:` prefix. */
export function shortId(id: string): string {
  const hex = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return hex.slice(0, 12);
}

/**
 * The name docker shows for a normalized reference: `docker.io/library/busybox:test`
 * → `busybox:test`, `docker.io/me/app:1` → `me/app:1`; other registries stay.
 */
export function familiarName(ref: string): string {
  let r = ref;
  if (r.startsWith('docker.io/')) r = r.slice('docker.io/'.length);
  if (r.startsWith('library/') && !r.slice('library/'.length).includes('/')) r = r.slice('library/'.length);
  return r;
}

/** Splits a familiar reference into repository and tag (`<none>` when it has only a digest). */
export function splitReference(ref: string): { repository: string; tag: string } {
  const name = familiarName(ref);
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: '<none>' };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: 'latest' };
}

/** `"sh -c 'exit 3'"`, cut to `width` characters with `…` like `docker ps`. */
export function quotedCommand(command: string, width = 20, truncate = true): string {
  const cut = truncate && [...command].length > width ? `${[...command].slice(0, width - 1).join('')}…` : command;
  return JSON.stringify(cut);
}

function lookup(value: unknown, path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * Expands the small subset of Go templates that scripts use with docker's
 * `--format`: `{{.Field.Sub}}`, `{{json .Field}}`, `{{json .}}`, and `\t`/`\n` escapes.
 */
export function renderTemplate(template: string, value: unknown): string {
  const text = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const out = text.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_, json: string | undefined, path: string) => {
    const v = lookup(value, path === '' ? [] : path.split('.'));
    return json ? JSON.stringify(v ?? null) : show(v);
  });
  if (out.includes('{{')) throw unimplemented(`template syntax beyond {{.Field}} and {{json .}}: ${template}`);
  return out;
}

/**
 * The one `--format` printer of list commands: `table` (the default) prints `asTable()`, `json` one JSON
 * object per item, anything else a Go template per item, over the fields `fields(item)` gives.
 */
export function formatList<T>(
  format: string | undefined,
  items: readonly T[],
  fields: (item: T) => object,
  asTable: () => string,
): string {
  if (format === undefined || format === 'table') return asTable();
  return items
    .map((i) => `${format === 'json' ? JSON.stringify(fields(i)) : renderTemplate(format, fields(i))}\n`)
    .join('');
}
