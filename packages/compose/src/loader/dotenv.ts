/**
 * `.env` and `env_file` files as Compose reads them: `KEY=VALUE` lines,
 * `export ` prefixes, `#` comments, single quotes (literal), double quotes
 * (`\n`, `\t`, `\"`, `\\` escapes and `${VAR}` interpolation), unquoted
 * values (trimmed, ` #` starts a comment, `${VAR}` interpolated), and `KEY`
 * alone (the value comes from `lookup`, else the key is left out).
 */
import { substitute, type Lookup } from './interpolate.js';

/** Why an env file could not be read, with its line. */
export class DotenvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function doubleQuoted(raw: string): string {
  return raw.replace(/\\([nrt"\\$])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c));
}

/**
 * Parses an env file. Variables defined earlier in the file and `lookup`
 * serve interpolation. @throws DotenvError for a malformed line.
 */
export function parseDotenv(text: string, lookup: Lookup = () => undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const look: Lookup = (n) => out[n] ?? lookup(n);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trim();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!KEY.test(key)) throw new DotenvError(i + 1, `unexpected character in variable name "${key}"`);
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) out[key] = v;
      continue;
    }
    let rest = line.slice(eq + 1).trim();
    const q = rest[0];
    if (q === '"' || q === "'") {
      // A quoted value may run over several lines.
      let body = rest.slice(1);
      let end = body.indexOf(q);
      while (end < 0 || (q === '"' && isEscaped(body, end))) {
        if (end >= 0) {
          end = body.indexOf(q, end + 1);
          continue;
        }
        if (++i >= lines.length) throw new DotenvError(i, `unterminated quoted value for ${key}`);
        body += `\n${lines[i]}`;
        end = body.indexOf(q);
      }
      const raw = body.slice(0, end);
      out[key] = q === "'" ? raw : substitute(doubleQuoted(raw), look);
      continue;
    }
    const hash = rest.search(/\s#/);
    if (hash >= 0) rest = rest.slice(0, hash).trim();
    out[key] = substitute(rest, look);
  }
  return out;
}

function isEscaped(s: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}
