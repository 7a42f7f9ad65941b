import { cancelled, unimplemented } from '@tscr/api';
import { memoryCredentials, type CredentialStore, type Credentials } from '../auth/credentials.js';
import { DistributionClient, type DistributionClientOptions, type ResolvedImage } from '../distribution/client.js';
import { pullImage } from '../distribution/pull.js';
import { pushImage } from '../distribution/push.js';
import type { Platform } from '../manifest/types.js';
import { parseReference } from '../reference/parse.js';
import type { BlobSource, CallOptions, ImageSink, ImageSource, Progress, Reference, RegistryClient } from '../types.js';

function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('registry call cancelled');
}

/** Options of {@link createRegistryClient}. */
export interface RegistryClientOptions extends DistributionClientOptions {
  /** Where pulls write and pushes read. Without it, pull and push raise Unimplemented. */
  store?: ImageSink & ImageSource;
  /** The platform pulled from an index; default this host's. */
  platform?: Platform;
  /** Blobs moved at once per pull or push. Default 3. */
  concurrency?: number;
  /** Push blobs in PATCH chunks of this many bytes; default one PUT per blob. */
  chunkSize?: number;
  /** Asked for layers before the registry on a pull (peer daemons). */
  blobSource?: BlobSource;
}

/**
 * The registry layer, in process: parses references and pulls and pushes
 * images between registries and the configured image store, over a
 * {@link DistributionClient} (available as `distribution` for everything else).
 */
export class LocalRegistryClient implements RegistryClient {
  readonly distribution: DistributionClient;
  /** Reads (pull, resolve): through the configured mirrors. */
  private readonly reader: DistributionClient;

  constructor(private readonly options: RegistryClientOptions = {}) {
    const { mirrors, ...direct } = options;
    this.distribution = new DistributionClient(direct);
    this.reader = mirrors && Object.keys(mirrors).length > 0 ? new DistributionClient(options) : this.distribution;
  }

  async parseReference(ref: string): Promise<Reference> {
    return parseReference(ref);
  }

  /** One platform's manifest, config and layers for `ref`. See {@link DistributionClient.resolve}. */
  resolve(ref: string, opts: CallOptions & { platform?: Platform } = {}): Promise<ResolvedImage> {
    const platform = opts.platform ?? this.options.platform;
    return this.reader.resolve(parseReference(ref), { ...opts, ...(platform ? { platform } : {}) });
  }

  /** @throws InvalidArgument for a malformed reference; Unimplemented (registry pull) without a store; see {@link pullImage}. */
  async *pull(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    checkSignal(opts);
    const parsed = parseReference(ref);
    if (!this.options.store) throw unimplemented('registry pull');
    yield* pullImage(this.reader, parsed, this.options.store, {
      ...opts,
      ...(this.options.platform ? { platform: this.options.platform } : {}),
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.blobSource ? { blobSource: this.options.blobSource } : {}),
    });
  }

  /** @throws InvalidArgument for a malformed reference; Unimplemented (registry push) without a store; see {@link pushImage}. */
  async *push(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    checkSignal(opts);
    const parsed = parseReference(ref);
    if (!this.options.store) throw unimplemented('registry push');
    yield* pushImage(this.distribution, parsed, this.options.store, {
      ...opts,
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.chunkSize ? { chunkSize: this.options.chunkSize } : {}),
    });
  }
}

/** Creates the in-process registry client. */
export function createRegistryClient(options: RegistryClientOptions = {}): LocalRegistryClient {
  return new LocalRegistryClient(options);
}

/**
 * `docker login`: checks `credentials` against `registry`'s `/v2/` and, when
 * accepted, stores them in `store` (e.g. a `DockerConfigStore`).
 * @throws Unauthenticated when refused; Unavailable when unreachable; nothing is stored then.
 */
export async function login(
  registry: string,
  credentials: Credentials,
  store: CredentialStore,
  options: Omit<DistributionClientOptions, 'credentials'> & CallOptions = {},
): Promise<void> {
  const client = new DistributionClient({ ...options, credentials: memoryCredentials({ [registry]: credentials }) });
  await client.ping(registry, options.signal ? { signal: options.signal } : {});
  await store.set(registry, credentials);
}
