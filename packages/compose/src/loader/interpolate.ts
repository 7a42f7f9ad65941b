/**
 * Variable interpolation as the Compose Specification defines it: `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
 * `${VAR:?message}`, `${VAR?message}`, nested in defaults, and `$$` for `$`.
 */
import type { DocPath } from './source.js';

/** Looks a variable up; undefined when unset. */
export type Lookup = (name: string) => string | undefined;

/** Why a string could not be interpolated. */
export class InterpolationError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The index of the `}` closing a `${` whose body starts at `from`, or -1. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') {
      i++;
    } else if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}' && --depth === 0) {
      return i;
    }
  }
  return -1;
}

function braced(body: string, lookup: Lookup, unset: (name: string) => void): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation format for "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') {
    if (value === undefined) unset(name);
    return value ?? '';
  }
  const op = rest.startsWith(':') ? rest.slice(0, 2) : rest.slice(0, 1);
  const arg = () => substitute(rest.slice(op.length), lookup, unset);
  const empty = value === undefined || (op.startsWith(':') && value === '');
  switch (op) {
    case ':-':
    case '-':
      return empty ? arg() : (value as string);
    case ':+':
    case '+':
      return empty ? '' : arg();
    case ':?':
    case '?':
      if (empty) {
        const msg = arg();
        throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
      }
      return value as string;
    default:
      throw new InterpolationError(`invalid interpolation format for "\${${body}}"`);
  }
}

/**
 * `s` with its variables replaced. `unset` is told each plain `$VAR`/`${VAR}`
 * that is unset (replaced by an empty string, as Compose does with a warning).
 * @throws InterpolationError for a bad form or a `?` variable without a value.
 */
export function substitute(s: string, lookup: Lookup, unset: (name: string) => void = () => {}): string {
  if (!s.includes('$')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for "${s}": unclosed "\${"`);
      out += braced(s.slice(i + 2, end), lookup, unset);
      i = end;
    } else {
      const m = NAME.exec(s.slice(i + 1));
      if (!m) throw new InterpolationError(`invalid interpolation format for "${s}": use "$$" for a literal "$"`);
      const v = lookup(m[0]);
      if (v === undefined) unset(m[0]);
      out += v ?? '';
      i += m[0].length;
    }
  }
  return out;
}

/**
 * Interpolates every string value of a parsed document (keys stay as
 * written). `fail` turns a problem at a path into the error to throw.
 */
export function interpolateTree(
  value: unknown,
  lookup: Lookup,
  fail: (path: DocPath, message: string) => Error,
  warn: (name: string) => void,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    try {
      return substitute(value, lookup, warn);
    } catch (err) {
      if (err instanceof InterpolationError) throw fail(path, err.message);
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, lookup, fail, warn, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, lookup, fail, warn, [...path, k]);
    return out;
  }
  return value;
}
