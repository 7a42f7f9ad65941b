/**
 * Typed reads of a parsed compose document: each helper checks one value's
 * type and raises an error naming the file, the document path and the line.
 */
import { isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { TscrError } from '@tscr/api';
import { formatPath, type DocPath, type Source } from './source.js';

/** A plain mapping of a YAML document. */
export type Obj = Record<string, unknown>;

/** Reads values of one source, relative paths resolved against `dir`. */
export class Reader {
  constructor(
    readonly source: Source,
    /** The directory relative paths start from. */
    readonly dir: string,
  ) {}

  fail(path: DocPath, message: string): TscrError {
    return this.source.error(path, message);
  }

  /** Refuses a key the spec has but tscr compose does not honour. */
  unsupported(path: DocPath): TscrError {
    const line = this.source.line(path);
    const where = line === undefined ? this.source.file : `${this.source.file}:${line}`;
    const p = formatPath(path);
    return new TscrError('Unimplemented', `${where}: ${p}: not supported by tscr compose`, {
      details: { feature: p, file: this.source.file, path: p, ...(line !== undefined && { line: String(line) }) },
    });
  }

  /** Runs a syntax parser, turning its Error into one naming the place. */
  parse<T>(path: DocPath, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TscrError) throw err;
      throw this.fail(path, (err as Error).message);
    }
  }

  obj(v: unknown, path: DocPath): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw this.fail(path, `must be a mapping, not ${kind(v)}`);
    return v as Obj;
  }

  /** Checks that `o` has only `allowed` keys (and `x-*`); `unsupported` keys raise Unimplemented. */
  keys(o: Obj, path: DocPath, allowed: readonly string[], unsupported: readonly string[] = []): void {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k) || k.startsWith('x-')) continue;
      if (unsupported.includes(k)) throw this.unsupported([...path, k]);
      throw this.fail([...path, k], `additional property ${k} is not allowed`);
    }
  }

  str(v: unknown, path: DocPath): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw this.fail(path, `must be a string, not ${kind(v)}`);
  }

  bool(v: unknown, path: DocPath): boolean {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw this.fail(path, `must be a boolean, not ${kind(v)}`);
  }

  int(v: unknown, path: DocPath, min = 0): number {
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw this.fail(path, `must be an integer, not ${kind(v)}`);
    if (n < min) throw this.fail(path, `must be at least ${min}`);
    return n;
  }

  /** A list of strings (numbers accepted and turned into strings). */
  strList(v: unknown, path: DocPath): string[] {
    if (!Array.isArray(v)) throw this.fail(path, `must be a list, not ${kind(v)}`);
    return v.map((x, i) => this.str(x, [...path, i]));
  }

  /** A string or a list of strings → list. */
  strOrList(v: unknown, path: DocPath): string[] {
    return typeof v === 'string' ? [v] : this.strList(v, path);
  }

  /**
   * `KEY=VALUE` list or mapping → record. In a list, `KEY` alone gives null;
   * in a mapping, a null value stays null.
   */
  dict(v: unknown, path: DocPath, sep = '='): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        const s = this.str(item, [...path, i]);
        const at = s.indexOf(sep);
        if (at === 0) throw this.fail([...path, i], `invalid entry ${JSON.stringify(s)}: want KEY${sep}VALUE`);
        if (at < 0) out[s] = null;
        else out[s.slice(0, at)] = s.slice(at + 1);
      });
      return out;
    }
    for (const [k, x] of Object.entries(this.obj(v, path))) {
      out[k] = x === null || x === undefined ? null : this.str(x, [...path, k]);
    }
    return out;
  }

  /** Like {@link dict}, with a value required for every key (labels, sysctls). */
  strDict(v: unknown, path: DocPath): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(this.dict(v, path))) out[k] = x ?? '';
    return out;
  }

  /** An absolute path: `~` is the home directory, relative paths start at {@link dir}. */
  path(p: string): string {
    if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
    return isAbsolute(p) ? p : resolve(this.dir, p);
  }
}

function kind(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
