/**
 * What a pull, push or login carries over the wire beyond the reference:
 * per-request credentials and the platform. Plain types (no proto); an
 * implementation of {@link RegistryClient} that honours them (the daemon's)
 * reads them from the call options.
 */
import type { Platform } from '../manifest/types.js';
import type { CallOptions, Progress, RegistryClient } from '../types.js';

/** Credentials for one request. Either a user name and password, or an identity (refresh) token. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token a previous login returned. */
  identityToken?: string;
}

/** Options of a pull or push request: the {@link CallOptions} plus what the request carries. */
export interface RegistryRequestOptions extends CallOptions {
  /** Credentials for the reference's registry; anonymous when absent. */
  auth?: RegistryAuth;
  /** Pull only: the platform to pick from an index; default the server's. */
  platform?: Platform;
}

/** What a successful login answers. */
export interface LoginResult {
  /** `Login Succeeded`. */
  status: string;
  /** Set when the registry issued a refresh token to keep instead of the password. */
  identityToken?: string;
}

/** A registry layer that can check credentials (`docker login`). */
export interface RegistryLogin {
  /**
   * Checks `auth` against `registry`'s `/v2/`; stores nothing.
   * @throws Unauthenticated when refused; Unavailable when unreachable.
   */
  login(registry: string, auth: RegistryAuth, opts?: CallOptions): Promise<LoginResult>;
}

/** A registry layer that can list a repository's tags (`docker pull --all-tags`). */
export interface RegistryTags {
  /**
   * Every tag of `repository` (a reference; its tag or digest is ignored), following pagination.
   * @throws InvalidArgument for a malformed name; NotFound; Unauthenticated; Unavailable.
   */
  listTags(repository: string, opts?: RegistryRequestOptions): Promise<string[]>;
}

/** True when `impl` can list tags (the gRPC server answers Unimplemented otherwise). */
export function canListTags(impl: RegistryClient): impl is RegistryClient & RegistryTags {
  return typeof (impl as Partial<RegistryTags>).listTags === 'function';
}

/** True when `impl` can log in (the gRPC server answers Unimplemented otherwise). */
export function canLogin(impl: RegistryClient): impl is RegistryClient & RegistryLogin {
  return typeof (impl as Partial<RegistryLogin>).login === 'function';
}

/**
 * The registry layer as the daemon serves it: pull and push honour
 * {@link RegistryRequestOptions}, and it can log in. {@link GrpcRegistryClient}
 * is one; the daemon's local registry layer is another.
 */
export interface RegistryService extends RegistryClient, RegistryLogin, Partial<RegistryTags> {
  pull(ref: string, opts?: RegistryRequestOptions): AsyncIterable<Progress>;
  push(ref: string, opts?: RegistryRequestOptions): AsyncIterable<Progress>;
}
