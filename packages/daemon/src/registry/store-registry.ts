import { invalidArgument, throwIfCancelled, unimplemented } from '@tscr/api';
import {
  memoryCredentials,
  parseReference,
  type BlobSource,
  type CallOptions,
  type Credentials,
  type ImageSink,
  type ImageSource,
  type Progress,
  type Reference,
  type RegistryClient,
} from '@tscr/registry-client';
import { createRegistryClient, login, type LocalRegistryClient } from '@tscr/registry-client/local';
import type { LoginResult, RegistryAuth, RegistryRequestOptions, RegistryService } from '@tscr/registry-client/grpc';

/** An image store that pulls can write to and pushes read from. */
export type PullStore = ImageSink & ImageSource;

/** True when `service` (an image layer) offers the blob access pulls and pushes need. */
export function isPullStore(service: unknown): service is PullStore {
  const s = service as Partial<Record<keyof PullStore, unknown>>;
  return ['hasBlob', 'writeBlob', 'readBlob', 'resolve', 'tag'].every(
    (m) => typeof s[m as keyof PullStore] === 'function',
  );
}

/** Options of {@link StoreRegistryClient}. */
export interface StoreRegistryOptions {
  /** Where pulls land and pushes come from. Without it pull and push raise Unimplemented (see `missingStore`). */
  store?: PullStore;
  /** What is missing when there is no store, e.g. `pull into a remote image layer`. */
  missingStore?: { pull: string; push: string };
  /** Registries (`host:port`) reached over plain HTTP; loopback always is. */
  insecureRegistries?: string[];
  /** Asked for layers by digest before the registry on a pull (peer daemons). */
  blobSource?: BlobSource;
  /** Pull mirrors per registry (see `SessionOptions.mirrors` of the registry client). */
  mirrors?: Record<string, string[]>;
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/` → `host:5000`. */
export function registryHost(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** Request credentials → what the distribution client sends. @throws InvalidArgument. */
function credentialsOf(auth: RegistryAuth, registry: string): Credentials {
  if (auth.identityToken) {
    return { username: auth.username ?? '', password: auth.password ?? '', identityToken: auth.identityToken };
  }
  if (!auth.username || !auth.password) {
    throw invalidArgument(`credentials for ${registry} need a username and a password`, { details: { ref: registry } });
  }
  return { username: auth.username, password: auth.password };
}

/**
 * The daemon's registry layer: pulls into and pushes from the image store
 * over the distribution client, with the credentials each request carries
 * (the daemon keeps none) and the platform it asks for. Logs in by checking
 * credentials against the registry.
 */
export class StoreRegistryClient implements RegistryService {
  private readonly anonymous: LocalRegistryClient;

  constructor(private readonly options: StoreRegistryOptions = {}) {
    this.anonymous = this.client();
  }

  async parseReference(ref: string): Promise<Reference> {
    return parseReference(ref);
  }

  /** @throws as {@link RegistryClient.pull}; Unimplemented without a store. */
  async *pull(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const parsed = parseReference(ref);
    if (!this.options.store) throw unimplemented(this.options.missingStore?.pull ?? 'registry pull');
    yield* this.clientFor(parsed, opts).pull(parsed.normalized, opts.signal ? { signal: opts.signal } : {});
  }

  /** @throws as {@link RegistryClient.push}; Unimplemented without a store. */
  async *push(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const parsed = parseReference(ref);
    if (!this.options.store) throw unimplemented(this.options.missingStore?.push ?? 'registry push');
    yield* this.clientFor(parsed, { ...opts, platform: undefined }).push(
      parsed.normalized,
      opts.signal ? { signal: opts.signal } : {},
    );
  }

  /** Every tag of `repository`'s repository, with the request's credentials. @throws as `DistributionClient.listTags`. */
  async listTags(repository: string, opts: RegistryRequestOptions = {}): Promise<string[]> {
    const parsed = parseReference(repository);
    return this.clientFor(parsed, { ...opts, platform: undefined }).distribution.listTags(
      parsed,
      opts.signal ? { signal: opts.signal } : {},
    );
  }

  /** @throws Unauthenticated when refused; Unavailable when unreachable; InvalidArgument without username and password. */
  async login(server: string, auth: RegistryAuth, opts: CallOptions = {}): Promise<LoginResult> {
    const registry = registryHost(server);
    if (!registry) throw invalidArgument('login needs a registry');
    throwIfCancelled(opts.signal, 'login');
    await login(registry, credentialsOf(auth, registry), memoryCredentials(), {
      insecureRegistries: this.options.insecureRegistries ?? [],
    });
    return { status: 'Login Succeeded' };
  }

  /** The shared anonymous client, or one for this request's credentials and platform. */
  private clientFor(ref: Reference, opts: RegistryRequestOptions): LocalRegistryClient {
    if (!opts.auth && !opts.platform) return this.anonymous;
    return this.client(opts.auth && { [ref.domain]: credentialsOf(opts.auth, ref.domain) }, opts);
  }

  private client(credentials?: Record<string, Credentials>, opts: RegistryRequestOptions = {}): LocalRegistryClient {
    return createRegistryClient({
      ...(this.options.store ? { store: this.options.store } : {}),
      ...(this.options.blobSource ? { blobSource: this.options.blobSource } : {}),
      insecureRegistries: this.options.insecureRegistries ?? [],
      mirrors: this.options.mirrors ?? {},
      ...(credentials ? { credentials: memoryCredentials(credentials) } : {}),
      ...(opts.platform ? { platform: opts.platform } : {}),
    });
  }
}
