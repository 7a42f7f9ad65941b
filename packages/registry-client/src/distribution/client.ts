import { failedPrecondition, invalidArgument, isTscrError, notFound } from '@tscr/api';
import { parseReference } from '../reference/parse.js';
import type { Reference } from '../types.js';
import { dataLoss } from '../errors.js';
import { ALL_MANIFEST_TYPES } from '../manifest/media-types.js';
import { parseManifest } from '../manifest/parse.js';
import { hostPlatform, selectPlatform } from '../manifest/platform.js';
import type { Descriptor, ImageManifest, Manifest, Platform } from '../manifest/types.js';
import { digestLike, readLimited, sha256Digest, tooLarge, verifyStream } from './digest.js';
import { Session, expectStatus, repositoryScope, type Repository, type SessionOptions } from './session.js';
import { mountBlob, pushBlob, type PushBlobOptions, type PushBlobResult } from './upload.js';

/** The largest manifest the client reads (as containerd and Docker do). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** The largest image config the client reads. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Options every distribution call takes. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of {@link DistributionClient.getManifest}. */
export interface GetManifestOptions extends RequestOptions {
  /** Media types to accept; default every manifest and index type. */
  accept?: readonly string[];
  /** When set and the reference names an index, follow it to this platform's manifest. */
  platform?: Platform;
}

/** A manifest as fetched, verified against its digest. */
export interface FetchedManifest {
  /** The reference it was fetched by, normalized. */
  ref: string;
  digest: string;
  mediaType: string;
  /** The exact bytes (what the digest covers). */
  bytes: Buffer;
  manifest: Manifest;
  /** When followed from an index by platform: that index. */
  index?: Omit<FetchedManifest, 'index'>;
}

/** What an image reference resolves to for one platform. */
export interface ResolvedImage extends FetchedManifest {
  manifest: { kind: 'manifest' } & ImageManifest;
  config: Descriptor;
  /** The image config document, verified. */
  configBytes: Buffer;
  layers: Descriptor[];
}

/** A reference as text (`localhost:5000/app:v1`) or parsed. */
export type RefLike = string | Reference;
/** A repository as text (`localhost:5000/app`) or `{ domain, path }`. */
export type RepoLike = string | Repository;

/** Options of {@link createDistributionClient}. */
export type DistributionClientOptions = SessionOptions;

/** A paged list call: `pageSize` is the `n` parameter; the client follows `Link` headers to the end. */
export interface ListOptions extends RequestOptions {
  pageSize?: number;
}

function toRef(ref: RefLike): Reference {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}

function toRepo(repo: RepoLike): Repository {
  if (typeof repo !== 'string') return repo;
  const r = parseReference(repo);
  if (r.digest || repo.endsWith(`:${r.tag}`))
    throw invalidArgument(`${repo} is a reference, not a repository`, { details: { ref: repo } });
  return { domain: r.domain, path: r.path };
}

const name = (repo: Repository) => `${repo.domain}/${repo.path}`;

/**
 * An OCI distribution-spec (Docker Registry HTTP API v2) client. Every call
 * takes an AbortSignal; every error is a TscrError naming the reference.
 */
export class DistributionClient {
  readonly session: Session;

  constructor(options: DistributionClientOptions = {}) {
    this.session = new Session(options);
  }

  /**
   * Checks that `registry` speaks API v2 (and that we may talk to it: a 401
   * challenge is answered with the configured credentials).
   * @throws Unavailable when unreachable; Unauthenticated when credentials are missing or refused.
   */
  async ping(registry: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.session.send(registry, {
      method: 'GET',
      path: '/v2/',
      scopes: [],
      signal: opts.signal,
      what: registry,
    });
    await expectStatus(res, [200], registry, 'ping');
    res.discard();
  }

  /**
   * Fetches a manifest or index, verified against the reference's digest (or
   * the registry's `Docker-Content-Digest`) and refused past 4 MiB.
   * @throws NotFound; DataLoss when the content does not match its digest;
   *   ResourceExhausted past 4 MiB; InvalidArgument for a malformed manifest.
   */
  async getManifest(refLike: RefLike, opts: GetManifestOptions = {}): Promise<FetchedManifest> {
    const ref = toRef(refLike);
    const got = await this.fetchManifest(ref, ref.digest ?? (ref.tag as string), opts);
    if (!opts.platform || got.manifest.kind !== 'index') return got;
    const child = selectPlatform(got.manifest, ref.normalized, opts.platform);
    const pinned: Reference = { ...ref, digest: child.digest, normalized: `${name(ref)}@${child.digest}` };
    const inner = await this.fetchManifest(pinned, child.digest, { ...opts, platform: undefined }, child.size);
    return { ...inner, index: got };
  }

  private async fetchManifest(
    ref: Reference,
    reference: string,
    opts: GetManifestOptions,
    size?: number,
  ): Promise<FetchedManifest> {
    const what = ref.normalized;
    const res = await this.session.send(ref.domain, {
      method: 'GET',
      path: `/v2/${ref.path}/manifests/${reference}`,
      headers: { accept: (opts.accept ?? ALL_MANIFEST_TYPES).join(', ') },
      scopes: [repositoryScope(ref, 'pull')],
      signal: opts.signal,
      what,
    });
    await expectStatus(res, [200], what, 'get manifest');
    const declared = Number(res.header('content-length') ?? NaN);
    if (declared > MAX_MANIFEST_BYTES || (size !== undefined && size > MAX_MANIFEST_BYTES)) {
      res.discard();
      throw tooLarge(`manifest ${what}`, MAX_MANIFEST_BYTES);
    }
    let bytes: Buffer;
    try {
      bytes = await readLimited(res.body, size ?? MAX_MANIFEST_BYTES, `manifest ${what}`);
    } catch (err) {
      // Past the size its index declared: the registry lies about this digest.
      if (size === undefined || !isTscrError(err) || err.code !== 'ResourceExhausted') throw err;
      throw dataLoss(`manifest ${what} is longer than its declared ${size} bytes`, {
        cause: err,
        details: { ref: what, digest: reference },
      });
    }
    const claimed = ref.digest ?? res.header('docker-content-digest');
    const digest = claimed ? digestLike(claimed, bytes) : sha256Digest(bytes);
    if (claimed && digest !== claimed) {
      throw dataLoss(`manifest ${what} does not match its digest ${claimed} (got ${digest})`, {
        details: { ref: what, digest: claimed, actual: digest },
      });
    }
    const manifest = parseManifest(bytes, what, res.header('content-type'));
    return { ref: what, digest, mediaType: manifest.mediaType, bytes, manifest };
  }

  /**
   * The descriptor of a manifest without its body, or undefined when absent.
   * @throws Unauthenticated, Unavailable, … for other failures.
   */
  async headManifest(refLike: RefLike, opts: RequestOptions = {}): Promise<Descriptor | undefined> {
    const ref = toRef(refLike);
    const res = await this.session.send(ref.domain, {
      method: 'HEAD',
      path: `/v2/${ref.path}/manifests/${ref.digest ?? ref.tag}`,
      headers: { accept: ALL_MANIFEST_TYPES.join(', ') },
      scopes: [repositoryScope(ref, 'pull')],
      signal: opts.signal,
      what: ref.normalized,
    });
    res.discard();
    if (res.status === 404) return undefined;
    await expectStatus(res, [200], ref.normalized, 'head manifest');
    const digest = ref.digest ?? res.header('docker-content-digest');
    if (!digest)
      throw failedPrecondition(`${ref.normalized}: registry sent no Docker-Content-Digest`, {
        details: { ref: ref.normalized },
      });
    return {
      mediaType: (res.header('content-type') ?? '').split(';')[0] as string,
      digest,
      size: Number(res.header('content-length') ?? 0),
    };
  }

  /**
   * Uploads a manifest under the reference's tag (or digest). The blobs it
   * names must be in the repository already.
   * @returns its descriptor (digest computed here and checked against the registry's).
   * @throws InvalidArgument when the registry rejects it (unknown blobs, bad JSON); ResourceExhausted past 4 MiB.
   */
  async putManifest(
    refLike: RefLike,
    bytes: Uint8Array,
    mediaType: string,
    opts: RequestOptions = {},
  ): Promise<Descriptor> {
    const ref = toRef(refLike);
    if (bytes.byteLength > MAX_MANIFEST_BYTES) throw tooLarge(`manifest ${ref.normalized}`, MAX_MANIFEST_BYTES);
    const digest = ref.digest ? digestLike(ref.digest, bytes) : sha256Digest(bytes);
    if (ref.digest && digest !== ref.digest) {
      throw invalidArgument(`manifest does not match the digest of ${ref.normalized}`, {
        details: { ref: ref.normalized, digest: ref.digest },
      });
    }
    const res = await this.session.send(ref.domain, {
      method: 'PUT',
      path: `/v2/${ref.path}/manifests/${ref.digest ?? ref.tag}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      scopes: [repositoryScope(ref, 'pull,push')],
      signal: opts.signal,
      what: ref.normalized,
    });
    await expectStatus(res, [201, 200], ref.normalized, 'put manifest');
    res.discard();
    const theirs = res.header('docker-content-digest');
    if (theirs && theirs !== digest) {
      throw dataLoss(`registry stored ${ref.normalized} as ${theirs}, expected ${digest}`, {
        details: { ref: ref.normalized, digest },
      });
    }
    return { mediaType, digest, size: bytes.byteLength };
  }

  /**
   * Deletes a manifest. A tag is resolved to its digest first (registries delete by digest).
   * @throws NotFound; FailedPrecondition when the registry has deletes disabled.
   */
  async deleteManifest(refLike: RefLike, opts: RequestOptions = {}): Promise<void> {
    const ref = toRef(refLike);
    let digest = ref.digest;
    if (!digest) {
      const head = await this.headManifest(ref, opts);
      if (!head) throw notFound(`manifest unknown: ${ref.normalized}`, { details: { ref: ref.normalized } });
      digest = head.digest;
    }
    const res = await this.session.send(ref.domain, {
      method: 'DELETE',
      path: `/v2/${ref.path}/manifests/${digest}`,
      scopes: [repositoryScope(ref, 'pull,push,delete')],
      signal: opts.signal,
      what: ref.normalized,
    });
    await expectStatus(res, [202, 200], ref.normalized, 'delete manifest');
    res.discard();
  }

  /**
   * Streams a blob, verified while it streams: never more than `desc.size`
   * bytes are read, and the iteration ends with DataLoss (naming the digest
   * that lied) on a mismatch or truncation — discard what was written then.
   * @throws NotFound; DataLoss; Cancelled.
   */
  async *getBlob(
    repoLike: RepoLike,
    desc: Pick<Descriptor, 'digest' | 'size'>,
    opts: RequestOptions = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const repo = toRepo(repoLike);
    const what = `${name(repo)}@${desc.digest}`;
    const res = await this.session.send(repo.domain, {
      method: 'GET',
      path: `/v2/${repo.path}/blobs/${desc.digest}`,
      scopes: [repositoryScope(repo, 'pull')],
      signal: opts.signal,
      what,
    });
    await expectStatus(res, [200], what, 'get blob');
    yield* verifyStream(res.body, desc, what);
  }

  /** A blob's digest and size, or undefined when the repository does not have it. */
  async headBlob(
    repoLike: RepoLike,
    digest: string,
    opts: RequestOptions = {},
  ): Promise<{ digest: string; size: number } | undefined> {
    const repo = toRepo(repoLike);
    const what = `${name(repo)}@${digest}`;
    const res = await this.session.send(repo.domain, {
      method: 'HEAD',
      path: `/v2/${repo.path}/blobs/${digest}`,
      scopes: [repositoryScope(repo, 'pull')],
      signal: opts.signal,
      what,
    });
    res.discard();
    if (res.status === 404) return undefined;
    await expectStatus(res, [200], what, 'head blob');
    return { digest, size: Number(res.header('content-length') ?? 0) };
  }

  /** Uploads a blob unless present; see {@link pushBlob}. */
  pushBlob(
    repo: RepoLike,
    desc: Pick<Descriptor, 'digest' | 'size'>,
    source: Uint8Array | AsyncIterable<Uint8Array>,
    opts: PushBlobOptions = {},
  ): Promise<PushBlobResult> {
    return pushBlob(this.session, toRepo(repo), desc, source, opts);
  }

  /** Mounts a blob from another repository of the same registry; see {@link mountBlob}. */
  mountBlob(from: RepoLike, to: RepoLike, digest: string, opts: RequestOptions = {}): Promise<boolean> {
    return mountBlob(this.session, toRepo(from), toRepo(to), digest, opts);
  }

  /** Every tag of a repository, following `Link` pagination. @throws NotFound for an unknown repository. */
  async listTags(repoLike: RepoLike, opts: ListOptions = {}): Promise<string[]> {
    const repo = toRepo(repoLike);
    return this.paged(
      repo.domain,
      `/v2/${repo.path}/tags/list`,
      'tags',
      [repositoryScope(repo, 'pull')],
      name(repo),
      opts,
    );
  }

  /** Every repository of a registry, following `Link` pagination. */
  async catalog(registry: string, opts: ListOptions = {}): Promise<string[]> {
    return this.paged(registry, '/v2/_catalog', 'repositories', ['registry:catalog:*'], registry, opts);
  }

  private async paged(
    registry: string,
    first: string,
    field: string,
    scopes: string[],
    what: string,
    opts: ListOptions,
  ): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = opts.pageSize ? `${first}?n=${opts.pageSize}` : first;
    for (let page = 0; path && page < 10_000; page++) {
      const res = await this.session.send(registry, { method: 'GET', path, scopes, signal: opts.signal, what });
      await expectStatus(res, [200], what, 'list');
      const doc = JSON.parse(
        (await readLimited(res.body, MAX_MANIFEST_BYTES, `${what} list`)).toString('utf8'),
      ) as Record<string, unknown>;
      const items = doc[field];
      if (Array.isArray(items)) out.push(...items.filter((t): t is string => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.header('link') ?? '')?.[1];
      path = next ? new URL(next, this.session.baseUrl(registry)).toString() : undefined;
    }
    return out;
  }

  /**
   * Resolves a reference to one platform's manifest (default: this host),
   * with its verified config and layer descriptors.
   * @throws NotFound (also when an index has no matching platform); DataLoss; ResourceExhausted.
   */
  async resolve(refLike: RefLike, opts: RequestOptions & { platform?: Platform } = {}): Promise<ResolvedImage> {
    const ref = toRef(refLike);
    const got = await this.getManifest(ref, { signal: opts.signal, platform: opts.platform ?? hostPlatform() });
    if (got.manifest.kind !== 'manifest')
      throw invalidArgument(`${ref.normalized} is a nested index`, { details: { ref: ref.normalized } });
    const config = got.manifest.config;
    if (config.size > MAX_CONFIG_BYTES) throw tooLarge(`config of ${ref.normalized}`, MAX_CONFIG_BYTES);
    const configBytes = await readLimited(
      this.getBlob(ref, config, opts),
      MAX_CONFIG_BYTES,
      `config of ${ref.normalized}`,
    );
    return { ...got, manifest: got.manifest, config, configBytes, layers: got.manifest.layers };
  }
}

/** Creates a {@link DistributionClient}. */
export function createDistributionClient(options: DistributionClientOptions = {}): DistributionClient {
  return new DistributionClient(options);
}
