import { unauthenticated } from '../errors.js';

/** One challenge of a `WWW-Authenticate` header, e.g. `Bearer realm="…",service="…"`. */
export interface Challenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Parameters with lower-cased names and unquoted values. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

function malformed(header: string, why: string, registry?: string): never {
  const details: Record<string, string> = { header };
  if (registry) details.registry = registry;
  throw unauthenticated(`malformed WWW-Authenticate header ${JSON.stringify(header)}: ${why}`, { details });
}

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 9110 §11.6.1:
 * `scheme param=value, param="quoted", …`, several challenges comma-separated).
 * @throws Unauthenticated (`details.header`) when the header cannot be parsed,
 *   because then the registry cannot be authenticated against.
 */
export function parseChallenges(header: string, registry?: string): Challenge[] {
  const out: Challenge[] = [];
  let s = header.trim();
  if (!s) malformed(header, 'empty', registry);
  let current: Challenge | undefined;
  while (s.length) {
    s = s.replace(/^[\s,]+/, '');
    if (!s) break;
    const name = TOKEN.exec(s)?.[0];
    if (!name) malformed(header, `unexpected ${JSON.stringify(s[0])}`, registry);
    const after = s.slice(name.length).replace(/^\s+/, '');
    if (!after.startsWith('=')) {
      // A new scheme (a bare token not followed by '=').
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      s = after;
      continue;
    }
    if (!current) malformed(header, 'parameter before any scheme', registry);
    let rest = after.slice(1).replace(/^\s+/, '');
    let value: string;
    if (rest.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!m) malformed(header, 'unterminated quoted string', registry);
      value = (m[1] as string).replace(/\\(.)/g, '$1');
      rest = rest.slice(m[0].length);
    } else {
      const t = /^[^\s,]*/.exec(rest)?.[0] ?? '';
      value = t;
      rest = rest.slice(t.length);
    }
    rest = rest.replace(/^\s+/, '');
    if (rest && !rest.startsWith(',')) malformed(header, `expected ',' after ${name}`, registry);
    current.params[name.toLowerCase()] = value;
    s = rest;
  }
  if (out.length === 0) malformed(header, 'no challenge', registry);
  return out;
}

/** The bearer challenge's token endpoint parameters. */
export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/**
 * Picks the challenge to answer: bearer when offered (its `realm` must be an
 * http(s) URL), else basic. Undefined when neither scheme is offered.
 * @throws Unauthenticated for a malformed header or a bearer challenge without a usable realm.
 */
export function chooseChallenge(
  header: string,
  registry?: string,
): { scheme: 'bearer'; bearer: BearerChallenge } | { scheme: 'basic' } | undefined {
  const all = parseChallenges(header, registry);
  const bearer = all.find((c) => c.scheme === 'bearer');
  if (bearer) {
    const realm = bearer.params.realm;
    if (!realm) malformed(header, 'bearer challenge without realm', registry);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      malformed(header, `realm ${JSON.stringify(realm)} is not a URL`, registry);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') malformed(header, 'realm is not http(s)', registry);
    const out: BearerChallenge = { realm };
    if (bearer.params.service !== undefined) out.service = bearer.params.service;
    if (bearer.params.scope !== undefined) out.scope = bearer.params.scope;
    return { scheme: 'bearer', bearer: out };
  }
  return all.some((c) => c.scheme === 'basic') ? { scheme: 'basic' } : undefined;
}
