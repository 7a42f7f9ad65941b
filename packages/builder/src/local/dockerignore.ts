import { posix } from 'node:path';
import { invalidArgument } from '@tscr/api';

interface Rule {
  pattern: string;
  regex: RegExp;
  exclusion: boolean;
}

function escapeRegex(c: string): string {
  return /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
}

/** A `.dockerignore` pattern as a regular expression over `/`-separated relative paths. */
function toRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRegex(pattern[++i] as string);
    } else re += escapeRegex(c);
  }
  try {
    return new RegExp(`^${re}$`);
  } catch (err) {
    throw invalidArgument(`.dockerignore: bad pattern ${JSON.stringify(pattern)}`, {
      cause: err,
      details: { pattern },
    });
  }
}

/**
 * `.dockerignore` rules as Docker applies them: one pattern a line, `#`
 * comments, `!` exceptions, `*`, `?`, `[…]` and `**` (any number of
 * directories); a pattern that matches a directory matches everything in
 * it; the last pattern that matches a path decides.
 */
export class DockerIgnore {
  private readonly rules: Rule[];

  /** @throws InvalidArgument for a pattern that is not a valid glob (`[z-a]`). */
  constructor(patterns: string[]) {
    this.rules = [];
    for (const line of patterns) {
      let p = line.trim();
      if (p === '' || p.startsWith('#')) continue;
      const exclusion = p.startsWith('!');
      if (exclusion) p = p.slice(1).trim();
      p = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
      if (p === '' || p === '.') continue;
      this.rules.push({ pattern: p, regex: toRegex(p), exclusion });
    }
  }

  /** Parses the text of a `.dockerignore` file. @throws InvalidArgument for a bad pattern. */
  static parse(text: string): DockerIgnore {
    return new DockerIgnore(text.split(/\r?\n/));
  }

  /** True when there are no rules. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** True when some rule is an exception (`!…`): an ignored directory may still hold kept files. */
  get hasExceptions(): boolean {
    return this.rules.some((r) => r.exclusion);
  }

  /** True when the relative path `rel` (`/`-separated) is ignored. */
  ignores(rel: string): boolean {
    const path = posix.normalize(rel).replace(/^\/+/, '');
    const parts = path.split('/');
    let ignored = false;
    for (const r of this.rules) {
      let hit = false;
      for (let n = 1; n <= parts.length && !hit; n++) hit = r.regex.test(parts.slice(0, n).join('/'));
      if (hit) ignored = !r.exclusion;
    }
    return ignored;
  }
}
