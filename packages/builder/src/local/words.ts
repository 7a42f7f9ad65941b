import { invalidArgument } from '@tscr/api';

/** Variables visible to a substitution: name → value. */
export type Vars = ReadonlyMap<string, string>;

/** Options of {@link processWord} and {@link processWords}. */
export interface WordOptions {
  /** The escape character of the Dockerfile (`\` or `` ` ``). */
  escapeChar?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

class Lexer {
  private at = 0;
  constructor(
    private readonly s: string,
    private readonly vars: Vars,
    private readonly escapeChar: string,
  ) {}

  /** Words split at unquoted whitespace, with quotes removed and variables substituted. */
  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let any = false;
    while (this.at < this.s.length) {
      const c = this.s[this.at] as string;
      if (split && /\s/.test(c)) {
        if (any) out.push(cur);
        cur = '';
        any = false;
        this.at++;
        continue;
      }
      any = true;
      if (c === "'") cur += this.single();
      else if (c === '"') cur += this.double();
      else if (c === '$') cur += this.dollar();
      else if (c === this.escapeChar) {
        this.at++;
        if (this.at < this.s.length) cur += this.s[this.at++];
        else cur += c;
      } else {
        cur += c;
        this.at++;
      }
    }
    if (any || !split) out.push(cur);
    return out;
  }

  private single(): string {
    const end = this.s.indexOf("'", this.at + 1);
    if (end < 0) throw invalidArgument(`unterminated single quote in ${JSON.stringify(this.s)}`);
    const v = this.s.slice(this.at + 1, end);
    this.at = end + 1;
    return v;
  }

  private double(): string {
    this.at++;
    let v = '';
    while (this.at < this.s.length) {
      const c = this.s[this.at] as string;
      if (c === '"') {
        this.at++;
        return v;
      }
      if (c === '$') v += this.dollar();
      else if (
        c === this.escapeChar &&
        this.at + 1 < this.s.length &&
        '"$\\`'.includes(this.s[this.at + 1] as string)
      ) {
        v += this.s[this.at + 1];
        this.at += 2;
      } else {
        v += c;
        this.at++;
      }
    }
    throw invalidArgument(`unterminated double quote in ${JSON.stringify(this.s)}`);
  }

  private dollar(): string {
    this.at++;
    const rest = this.s.slice(this.at);
    if (rest.startsWith('{')) {
      const close = this.matchBrace(this.at);
      const body = this.s.slice(this.at + 1, close);
      this.at = close + 1;
      return this.braced(body);
    }
    const m = NAME.exec(rest);
    if (!m) return '$';
    this.at += m[0].length;
    return this.vars.get(m[0]) ?? '';
  }

  private matchBrace(open: number): number {
    let depth = 0;
    for (let j = open; j < this.s.length; j++) {
      if (this.s[j] === '{') depth++;
      else if (this.s[j] === '}' && --depth === 0) return j;
    }
    throw invalidArgument(`missing '}' in ${JSON.stringify(this.s)}`);
  }

  private braced(body: string): string {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
    if (!m) throw invalidArgument(`bad substitution \${${body}}`);
    const name = m[1] as string;
    const op = m[2];
    const value = this.vars.get(name);
    if (op === undefined) return value ?? '';
    const word = () => new Lexer(m[3] ?? '', this.vars, this.escapeChar).words(false).join('');
    const unsetOrEmpty = op.startsWith(':') ? !value : value === undefined;
    switch (op.replace(':', '')) {
      case '-':
        return unsetOrEmpty ? word() : (value as string);
      case '+':
        return unsetOrEmpty ? '' : word();
      default:
        if (unsetOrEmpty) throw invalidArgument(`${name}: ${word() || 'is not set'}`);
        return value as string;
    }
  }
}

/** One word: quotes removed, `$VAR`/`${VAR}`/`${VAR:-d}`/`${VAR:+a}`/`${VAR:?msg}` substituted (no splitting). */
export function processWord(s: string, vars: Vars, opts: WordOptions = {}): string {
  return new Lexer(s, vars, opts.escapeChar ?? '\\').words(false).join('');
}

/** Words split at unquoted whitespace, each processed like {@link processWord}. */
export function processWords(s: string, vars: Vars, opts: WordOptions = {}): string[] {
  return new Lexer(s, vars, opts.escapeChar ?? '\\').words(true);
}

/**
 * `KEY=value` pairs of ENV, LABEL and ARG-style arguments; the legacy
 * `KEY value` form (one pair, the rest of the line) when the first word has no `=`.
 */
export function parsePairs(s: string, vars: Vars, opts: WordOptions = {}): [string, string][] {
  const raw = s.trim();
  const first = /^\S+/.exec(raw)?.[0] ?? '';
  if (!first.includes('=')) {
    const value = raw.slice(first.length).trim();
    return [[processWord(first, vars, opts), processWord(value, vars, opts)]];
  }
  return processWords(raw, vars, opts).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidArgument(`expected KEY=value, got ${JSON.stringify(w)}`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
