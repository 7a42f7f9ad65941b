import { TscrError, invalidArgument, isTscrError, type ErrorCode } from '@tscr/api';
import { Authorizer } from '../auth/authorizer.js';
import type { CredentialStore } from '../auth/credentials.js';
import { unauthenticated } from '../errors.js';
import { createHttpTransport, readBody, type HttpResponse, type HttpTransport } from '../transport/http.js';
import { withRetries, type RetryOptions } from '../transport/retry.js';
import { mirrorBaseUrl, registryBaseUrl } from '../transport/scheme.js';

/** How a {@link Session} reaches registries. */
export interface SessionOptions {
  /** Credentials per registry host; anonymous when absent. */
  credentials?: CredentialStore;
  /** Registries (`host:port`) spoken to over plain HTTP. Loopback always is. */
  insecureRegistries?: string[];
  /** Extra trusted CA certificates (PEM), added to the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Retries on 5xx and reset connections. */
  retry?: RetryOptions;
  /** Replaces the network (tests inject faults); retries are still applied on top. */
  transport?: HttpTransport;
  /** The `User-Agent` header. */
  userAgent?: string;
  /**
   * Pull mirrors: registry (`registry.k8s.io`, `docker.io`) → base URLs of mirrors
   * serving its repositories under the same paths; the first one is used. Plain
   * HTTP only for loopback and `insecureRegistries` hosts. Give it to sessions that
   * only read (pull, resolve); a push must reach the registry itself.
   */
  mirrors?: Record<string, string[]>;
}

/** One request to a registry's API. */
export interface ApiRequest {
  method: string;
  /** `/v2/…` (joined to the registry's base URL) or an absolute URL (an upload location). */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Token scopes the request needs, e.g. `repository:app:pull`. */
  scopes: readonly string[];
  signal?: AbortSignal | undefined;
  /** Names the subject in errors: a reference, repository or registry. */
  what: string;
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Sends authenticated requests to registries: picks the scheme, answers
 * 401 challenges once (basic or bearer), retries transient failures, and
 * names the subject in every error.
 */
export class Session {
  readonly transport: HttpTransport;
  readonly auth: Authorizer;
  private readonly insecure: string[];
  private readonly userAgent: string;
  private readonly mirrors = new Map<string, string>();

  constructor(options: SessionOptions = {}) {
    const base = options.transport ?? createHttpTransport(options.ca === undefined ? {} : { ca: options.ca });
    this.transport = withRetries(base, options.retry);
    this.auth = new Authorizer({ transport: this.transport, credentials: options.credentials });
    this.insecure = options.insecureRegistries ?? [];
    this.userAgent = options.userAgent ?? 'tscr-registry-client/0.1';
    for (const [registry, urls] of Object.entries(options.mirrors ?? {})) {
      if (!urls[0]) continue;
      try {
        this.mirrors.set(registry, mirrorBaseUrl(urls[0], this.insecure));
      } catch (err) {
        throw invalidArgument(`${registry}: ${(err as Error).message}`, { details: { registry } });
      }
    }
  }

  /** `http://127.0.0.1:5000` / `https://registry-1.docker.io`, or the registry's mirror. */
  baseUrl(registry: string): string {
    return this.mirrors.get(registry) ?? registryBaseUrl(registry, this.insecure);
  }

  /**
   * Sends `req`; on 401 answers the challenge and sends it once more.
   * Returns every other status to the caller (see {@link expectStatus}).
   * @throws Unauthenticated when still refused; Unavailable (naming `what`) when unreachable.
   */
  async send(registry: string, req: ApiRequest): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(req.path) ? req.path : this.baseUrl(registry) + req.path;
    const replayable = req.body === undefined || req.body instanceof Uint8Array;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
      const authorization = await this.wrap(() => this.auth.header(registry, req.scopes, req.signal), req.what);
      if (authorization) headers.authorization = authorization;
      const res = await this.wrap(
        () => this.transport.send({ method: req.method, url, headers, body: req.body, signal: req.signal }),
        req.what,
      );
      if (res.status !== 401) return res;
      res.discard();
      const challenge = res.header('www-authenticate');
      const retry = await this.wrap(
        async () => this.auth.challenged(registry, challenge, req.scopes, authorization),
        req.what,
      );
      if (!retry || attempt > 0 || !replayable) {
        throw unauthenticated(
          authorization
            ? `${req.what}: ${registry} refused the credentials`
            : `${req.what}: ${registry} requires authentication`,
          { details: { ref: req.what, registry } },
        );
      }
    }
  }

  /** Adds the subject to network and auth errors raised below the session. */
  private async wrap<T>(step: () => T | Promise<T>, what: string): Promise<T> {
    try {
      return await step();
    } catch (err) {
      if (isTscrError(err) && !err.details.ref) {
        throw new TscrError(err.code, `${what}: ${err.message}`, {
          cause: err,
          details: { ...err.details, ref: what },
        });
      }
      throw err;
    }
  }
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'InvalidArgument',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'FailedPrecondition',
  409: 'FailedPrecondition',
  412: 'FailedPrecondition',
  413: 'ResourceExhausted',
  416: 'OutOfRange',
  429: 'ResourceExhausted',
};

/**
 * Returns when `res.status` is one of `ok`; otherwise reads the registry's
 * error document and throws the matching TscrError (404 NotFound, 401
 * Unauthenticated, 403 PermissionDenied, 400 InvalidArgument, 5xx
 * Unavailable, …) with `details.ref`, `details.status` and the registry's
 * own error code in `details.registryCode`.
 */
export async function expectStatus(
  res: HttpResponse,
  ok: readonly number[],
  what: string,
  action: string,
): Promise<void> {
  if (ok.includes(res.status)) return;
  let registryCode = '';
  let message = '';
  try {
    const text = (await readBody(res.body, MAX_ERROR_BODY, () => new Error('long'))).toString('utf8');
    const doc = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    registryCode = doc.errors?.[0]?.code ?? '';
    message = doc.errors?.[0]?.message ?? '';
  } catch {
    // No error document: the status says it all.
  }
  // Any other answer (a redirect left after the transport's last hop, an odd 4xx or 2xx) is the
  // registry not holding up its side: FailedPrecondition, never Unknown.
  const code: ErrorCode = STATUS_CODES[res.status] ?? (res.status >= 500 ? 'Unavailable' : 'FailedPrecondition');
  const redirect = res.status >= 300 && res.status < 400 ? ' (a redirect loop, or too many redirects)' : '';
  const why = [registryCode, message].filter(Boolean).join(': ') || `HTTP ${res.status}${redirect}`;
  throw new TscrError(code, `${action} ${what}: ${why}`, {
    details: { ref: what, status: String(res.status), registryCode },
  });
}

/** `{ domain, path }` of a repository; a `Reference` fits. */
export interface Repository {
  domain: string;
  path: string;
}

/** `repository:<path>:<actions>`. */
export function repositoryScope(repo: Repository, actions: string): string {
  return `repository:${repo.path}:${actions}`;
}

/** Guards cross-registry operations. @throws InvalidArgument when the two differ. */
export function sameRegistry(a: Repository, b: Repository): void {
  if (a.domain !== b.domain) {
    throw invalidArgument(`cannot mount across registries (${a.domain} → ${b.domain})`, {
      details: { ref: `${b.domain}/${b.path}` },
    });
  }
}
