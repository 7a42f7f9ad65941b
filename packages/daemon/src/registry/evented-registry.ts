import { unimplemented } from '@tscr/api';
import type { EventPublisher } from '@tscr/container';
import {
  parseReference,
  type CallOptions,
  type Progress,
  type Reference,
  type RegistryClient,
} from '@tscr/registry-client';
import {
  canListTags,
  canLogin,
  type LoginResult,
  type RegistryAuth,
  type RegistryRequestOptions,
  type RegistryService,
} from '@tscr/registry-client/grpc';
import { SharedStream } from './shared-stream.js';

/**
 * The registry layer as the daemon serves it, over any {@link RegistryClient}
 * (local or remote): concurrent pulls of the same reference (same platform
 * and user) share one pull, and finished pulls and pushes publish `image`
 * events `pull` and `push`.
 */
export class EventedRegistryClient implements RegistryService {
  private readonly inflight = new Map<string, SharedStream<Progress>>();

  constructor(
    private readonly inner: RegistryClient,
    private readonly events: EventPublisher,
  ) {}

  parseReference(ref: string): Promise<Reference> {
    return this.inner.parseReference(ref);
  }

  /** Joins a running pull of the same reference, platform and user, or starts one. */
  async *pull(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const parsed = parseReference(ref);
    const platform = opts.platform
      ? `${opts.platform.os}/${opts.platform.architecture}/${opts.platform.variant ?? ''}`
      : '';
    const key = `${parsed.normalized}\n${platform}\n${opts.auth?.username ?? ''}`;
    let shared = this.inflight.get(key);
    if (!shared) {
      const { signal: _ignored, ...rest } = opts;
      const started = new SharedStream<Progress>((signal) => this.inner.pull(ref, { ...rest, signal }));
      shared = started;
      this.inflight.set(key, started);
      void started.done.then(() => {
        this.inflight.delete(key);
        if (started.succeeded) this.publish('pull', parsed);
      });
    }
    yield* shared.read(opts.signal);
  }

  async *push(ref: string, opts: RegistryRequestOptions = {}): AsyncGenerator<Progress, void, undefined> {
    const parsed = parseReference(ref);
    yield* this.inner.push(ref, opts);
    this.publish('push', parsed);
  }

  /** @throws Unimplemented when the inner layer cannot list tags; else as its `listTags`. */
  async listTags(repository: string, opts?: RegistryRequestOptions): Promise<string[]> {
    if (!canListTags(this.inner)) throw unimplemented('registry tag listing');
    return this.inner.listTags(repository, opts);
  }

  /** @throws Unimplemented when the inner layer cannot log in; else as its `login`. */
  async login(registry: string, auth: RegistryAuth, opts?: CallOptions): Promise<LoginResult> {
    if (!canLogin(this.inner)) throw unimplemented('registry login');
    return this.inner.login(registry, auth, opts);
  }

  private publish(action: 'pull' | 'push', ref: Reference): void {
    this.events.publish({ type: 'image', action, id: ref.familiar, attributes: { name: ref.familiar } });
  }
}
