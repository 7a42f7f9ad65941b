import { readBody, type HttpTransport } from '../transport/http.js';
import { unauthenticated } from '../errors.js';
import { chooseChallenge, type BearerChallenge } from './challenge.js';
import type { CredentialStore, Credentials } from './credentials.js';

/** What the registry last asked for: basic credentials or a bearer token from `realm`. */
type KnownChallenge = { scheme: 'basic' } | { scheme: 'bearer'; bearer: BearerChallenge };

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Options of {@link Authorizer}. */
export interface AuthorizerOptions {
  /** Sends token requests. */
  transport: HttpTransport;
  /** Credentials per registry; anonymous when absent. */
  credentials?: CredentialStore | undefined;
  /** Clock in milliseconds (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Tokens are renewed this long before they expire. */
const EXPIRY_MARGIN_MS = 5_000;
/** The distribution spec's default token lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE = 1 << 20;
/** `client_id` of OAuth2 token requests. */
const CLIENT_ID = 'tscr';

/**
 * Answers registry authentication challenges: remembers each registry's
 * challenge, sends basic credentials, or fetches bearer tokens from the
 * challenge's realm and caches them per (registry, scopes) until they expire.
 */
export class Authorizer {
  private readonly challenges = new Map<string, KnownChallenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(private readonly options: AuthorizerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The `Authorization` header for a request to `registry` needing `scopes`
   * (`repository:<path>:pull,push`), or undefined when no challenge was seen
   * yet or access is anonymous.
   * @throws Unauthenticated when the token endpoint refuses; Unavailable when it is unreachable.
   */
  async header(registry: string, scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenges.get(registry);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.options.credentials?.get(registry);
      return creds && (creds.password || !creds.identityToken) ? basic(creds) : undefined;
    }
    const key = tokenKey(registry, challenge.bearer, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return `Bearer ${cached.token}`;
    // Concurrent requests for one scope share one token request.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = (async () => {
        const creds = await this.options.credentials?.get(registry);
        return this.fetchToken(registry, challenge.bearer, scopes, creds, signal);
      })();
      this.inflight.set(key, pending);
      pending
        .then(
          (fresh) => this.tokens.set(key, fresh),
          () => {},
        )
        .finally(() => this.inflight.delete(key));
    }
    return `Bearer ${(await pending).token}`;
  }

  /**
   * Records the challenge of a 401 answer and drops the token that was
   * refused. True when a retry can send something new (a first challenge,
   * or a token that may have expired); false when it would fail the same way.
   * @throws Unauthenticated for a malformed `WWW-Authenticate` header.
   */
  challenged(
    registry: string,
    wwwAuthenticate: string | undefined,
    scopes: readonly string[],
    sent: string | undefined,
  ): boolean {
    if (wwwAuthenticate === undefined) return false;
    const next = chooseChallenge(wwwAuthenticate, registry);
    if (!next) return false;
    const before = this.challenges.get(registry);
    this.challenges.set(registry, next);
    if (next.scheme === 'bearer') {
      const key = tokenKey(registry, next.bearer, scopes);
      const refused = sent !== undefined && this.tokens.get(key)?.token === sent.replace(/^Bearer /, '');
      this.tokens.delete(key);
      return sent === undefined || before?.scheme !== 'bearer' || refused;
    }
    return sent === undefined || before?.scheme !== 'basic';
  }

  /** Forgets every cached token (for example after a logout). */
  clear(): void {
    this.tokens.clear();
  }

  private async fetchToken(
    registry: string,
    bearer: BearerChallenge,
    scopes: readonly string[],
    creds: Credentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const url = new URL(bearer.realm);
    const wanted = scopes.length ? scopes : bearer.scope ? [bearer.scope] : [];
    const headers: Record<string, string> = { accept: 'application/json' };
    let method = 'GET';
    let form: Uint8Array | undefined;
    if (creds?.identityToken) {
      // OAuth2 refresh token (docker's identity token): POST a form, as the token spec says.
      const params = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken });
      if (bearer.service !== undefined) params.set('service', bearer.service);
      if (wanted.length) params.set('scope', wanted.join(' '));
      params.set('client_id', CLIENT_ID);
      method = 'POST';
      form = Buffer.from(params.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (bearer.service !== undefined) url.searchParams.set('service', bearer.service);
      for (const s of wanted) url.searchParams.append('scope', s);
      if (creds) {
        headers.authorization = basic(creds);
        url.searchParams.set('account', creds.username);
      }
    }
    const res = await this.options.transport.send({
      method,
      url: url.toString(),
      headers,
      ...(form ? { body: form } : {}),
      ...(signal ? { signal } : {}),
    });
    const details = { registry, realm: bearer.realm };
    if (res.status !== 200) {
      res.discard();
      throw unauthenticated(`token endpoint ${bearer.realm} of ${registry} answered ${res.status}`, { details });
    }
    const body = await readBody(res.body, MAX_TOKEN_RESPONSE, () =>
      unauthenticated(`token endpoint ${bearer.realm} sent an oversized answer`, { details }),
    );
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw unauthenticated(`token endpoint ${bearer.realm} sent no JSON`, { cause: err, details });
    }
    const token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || !token) {
      throw unauthenticated(`token endpoint ${bearer.realm} sent no token`, { details });
    }
    const seconds =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof parsed.issued_at === 'string' ? Date.parse(parsed.issued_at) : NaN;
    const start = Number.isFinite(issued) ? Math.min(issued, this.now()) : this.now();
    return { token, expiresAt: start + seconds * 1000 };
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function tokenKey(registry: string, b: BearerChallenge, scopes: readonly string[]): string {
  return [registry, b.realm, b.service ?? '', [...scopes].sort().join(' ')].join('|');
}
