import { failedPrecondition, invalidArgument, isTscrError } from '@tscr/api';
import type { Descriptor } from '../manifest/types.js';
import { hasherFor } from './digest.js';
import { expectStatus, repositoryScope, sameRegistry, type Repository, type Session } from './session.js';

/** Options of `pushBlob`. */
export interface PushBlobOptions {
  signal?: AbortSignal;
  /**
   * Upload in PATCH requests of this many bytes (`Content-Range`), resuming
   * from the offset the registry reports when one fails. Default: one
   * monolithic PUT.
   */
  chunkSize?: number;
  /** Repositories of the same registry to try mounting the blob from first. */
  mountFrom?: Repository[];
  /** Called with the bytes the registry has confirmed so far. */
  onProgress?: (bytes: number) => void;
}

/** What `pushBlob` did. */
export interface PushBlobResult {
  /** `exists`: already there; `mounted`: linked from `from`; `uploaded`: sent. */
  status: 'exists' | 'mounted' | 'uploaded';
  from?: Repository;
}

/** How often one chunk is resumed before the upload gives up. */
const MAX_RESUMES = 3;

const name = (r: Repository) => `${r.domain}/${r.path}`;

/**
 * Uploads a blob unless the repository already has it: tries the mounts,
 * then a monolithic PUT or chunked PATCHes. The source is hashed as it is
 * sent and the upload is cancelled when it does not match `desc`. A chunked
 * upload whose session the registry dropped (distribution 2.x does after a
 * lost PATCH answer) starts over once when the content is in memory.
 * @throws InvalidArgument when the source does not match `desc`;
 *   FailedPrecondition when a chunked upload cannot be resumed.
 */
export async function pushBlob(
  session: Session,
  repo: Repository,
  desc: Pick<Descriptor, 'digest' | 'size'>,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  opts: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const what = `${name(repo)}@${desc.digest}`;
  const scopes = [repositoryScope(repo, 'pull,push')];
  const base = { scopes, signal: opts.signal, what };
  const head = await session.send(repo.domain, {
    ...base,
    method: 'HEAD',
    path: `/v2/${repo.path}/blobs/${desc.digest}`,
  });
  head.discard();
  if (head.status === 200) return { status: 'exists' };
  for (const from of opts.mountFrom ?? []) {
    if (from.domain === repo.domain && (await mountBlob(session, from, repo, desc.digest, opts))) {
      return { status: 'mounted', from };
    }
  }
  const hash = hasherFor(desc.digest);
  let size = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    const chunks = source instanceof Uint8Array ? [source] : source;
    for await (const c of chunks) {
      size += c.byteLength;
      hash.update(c);
      yield c;
    }
  }
  const check = () => {
    const actual = `${desc.digest.split(':')[0]}:${hash.digest('hex')}`;
    if (actual !== desc.digest || size !== desc.size) {
      throw invalidArgument(
        `blob source for ${what} is ${actual} (${size} bytes), not ${desc.digest} (${desc.size} bytes)`,
        {
          details: { ref: what, digest: desc.digest, actual },
        },
      );
    }
  };
  // Content in memory is checked before anything is sent, and can be sent again from the start.
  const inMemory = source instanceof Uint8Array;
  if (inMemory) {
    for await (const c of hashed()) void c;
    check();
  }
  for (let attempt = 0; ; attempt++) {
    let location = await startUpload(session, repo, base);
    try {
      if (!opts.chunkSize) {
        const res = await session.send(repo.domain, {
          ...base,
          method: 'PUT',
          path: withDigest(location, desc.digest),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
          body: inMemory ? source : hashed(),
        });
        await expectStatus(res, [201], what, 'upload blob');
        res.discard();
        if (!inMemory) check();
        opts.onProgress?.(desc.size);
        return { status: 'uploaded' };
      }
      let offset = 0;
      for await (const chunk of rechunk(inMemory ? [source] : hashed(), opts.chunkSize)) {
        ({ location, offset } = await sendChunk(session, repo, location, chunk, offset, base));
        opts.onProgress?.(offset);
      }
      if (!inMemory) check();
      const res = await session.send(repo.domain, {
        ...base,
        method: 'PUT',
        path: withDigest(location, desc.digest),
        headers: { 'content-length': '0' },
      });
      await expectStatus(res, [201], what, 'finish upload of');
      res.discard();
      return { status: 'uploaded' };
    } catch (err) {
      await cancelUpload(session, repo, location, what);
      if (inMemory && attempt === 0 && isTscrError(err) && err.details.reason === SESSION_LOST) continue;
      throw err;
    }
  }
}

/** Sends one chunk at `offset`; when a PATCH fails, asks the registry where it stands and sends the rest. */
async function sendChunk(
  session: Session,
  repo: Repository,
  location: string,
  chunk: Uint8Array,
  start: number,
  base: { scopes: string[]; signal: AbortSignal | undefined; what: string },
): Promise<{ location: string; offset: number }> {
  let offset = start;
  for (let resumes = 0; ; resumes++) {
    const part = chunk.subarray(offset - start);
    let failure: unknown;
    try {
      const res = await session.send(repo.domain, {
        ...base,
        method: 'PATCH',
        path: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + part.byteLength - 1}`,
          'content-length': String(part.byteLength),
        },
        body: part,
      });
      if (res.status === 202) {
        res.discard();
        return {
          location: resolveLocation(session, repo, res.header('location') ?? location),
          offset: offset + part.byteLength,
        };
      }
      await expectStatus(res, [202], base.what, 'upload chunk of');
    } catch (err) {
      if (isTscrError(err) && err.code === 'NotFound') throw sessionLost(base.what, err);
      if (!resumable(err)) throw err;
      failure = err;
    }
    if (resumes >= MAX_RESUMES) {
      throw failedPrecondition(`upload of ${base.what} failed at byte ${offset}`, {
        cause: failure,
        details: { ref: base.what },
      });
    }
    const status = await uploadStatus(session, repo, location, base);
    location = status.location;
    if (status.offset < start || status.offset > start + chunk.byteLength) {
      throw failedPrecondition(
        `cannot resume upload of ${base.what}: registry has ${status.offset} bytes, chunk starts at ${start}`,
        {
          details: { ref: base.what },
        },
      );
    }
    offset = status.offset;
    if (offset === start + chunk.byteLength) return { location, offset };
  }
}

const SESSION_LOST = 'upload-session-lost';

function sessionLost(what: string, cause: unknown) {
  return failedPrecondition(`upload of ${what} cannot be resumed: the registry dropped the upload session`, {
    cause,
    details: { ref: what, reason: SESSION_LOST },
  });
}

/** A failed PATCH worth asking the registry about: a broken connection, or an offset it disagrees with. */
function resumable(err: unknown): boolean {
  if (!isTscrError(err)) return false;
  if (err.code === 'Unavailable' || err.code === 'OutOfRange') return true;
  return (
    err.code === 'InvalidArgument' && ['BLOB_UPLOAD_INVALID', 'RANGE_INVALID'].includes(err.details.registryCode ?? '')
  );
}

/** Where an upload stands: the next byte the registry expects and the location to continue at. */
async function uploadStatus(
  session: Session,
  repo: Repository,
  location: string,
  base: { scopes: string[]; signal: AbortSignal | undefined; what: string },
): Promise<{ location: string; offset: number }> {
  const res = await session.send(repo.domain, { ...base, method: 'GET', path: location });
  try {
    await expectStatus(res, [204], base.what, 'get upload status of');
  } catch (err) {
    // Distribution 2.x drops an upload whose location (state token) went stale: it cannot continue.
    if (!isTscrError(err) || err.code === 'Unavailable' || err.code === 'Unauthenticated') throw err;
    throw sessionLost(base.what, err);
  }
  res.discard();
  // `Range: 0-<last byte>`; distribution reports `0-0` for an empty upload too, so 0-0 is read as empty.
  const end = Number(/^(?:bytes=)?0-(\d+)$/.exec(res.header('range') ?? '')?.[1] ?? -1);
  return {
    location: resolveLocation(session, repo, res.header('location') ?? location),
    offset: end > 0 ? end + 1 : 0,
  };
}

async function startUpload(
  session: Session,
  repo: Repository,
  base: { scopes: string[]; signal: AbortSignal | undefined; what: string },
): Promise<string> {
  const res = await session.send(repo.domain, { ...base, method: 'POST', path: `/v2/${repo.path}/blobs/uploads/` });
  await expectStatus(res, [202], base.what, 'start upload of');
  res.discard();
  const location = res.header('location');
  if (!location)
    throw failedPrecondition(`${base.what}: registry sent no upload location`, { details: { ref: base.what } });
  return resolveLocation(session, repo, location);
}

/** Best effort: tells the registry to drop an upload session. */
async function cancelUpload(session: Session, repo: Repository, location: string, what: string): Promise<void> {
  try {
    const res = await session.send(repo.domain, {
      method: 'DELETE',
      path: location,
      scopes: [repositoryScope(repo, 'pull,push')],
      what,
    });
    res.discard();
  } catch {
    // The session expires on its own.
  }
}

/**
 * Links a blob of `from` into `to` without sending it (same registry).
 * @returns true when mounted; false when the registry declined (the upload it opened instead is cancelled).
 * @throws InvalidArgument for repositories of different registries.
 */
export async function mountBlob(
  session: Session,
  from: Repository,
  to: Repository,
  digest: string,
  opts: { signal?: AbortSignal } = {},
): Promise<boolean> {
  sameRegistry(from, to);
  const what = `${name(to)}@${digest}`;
  const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.path)}`;
  const res = await session.send(to.domain, {
    method: 'POST',
    path: `/v2/${to.path}/blobs/uploads/?${query}`,
    scopes: [repositoryScope(to, 'pull,push'), repositoryScope(from, 'pull')],
    signal: opts.signal,
    what,
  });
  await expectStatus(res, [201, 202], what, 'mount');
  res.discard();
  if (res.status === 201) return true;
  const location = res.header('location');
  if (location) await cancelUpload(session, to, resolveLocation(session, to, location), what);
  return false;
}

function resolveLocation(session: Session, repo: Repository, location: string): string {
  return new URL(location, session.baseUrl(repo.domain)).toString();
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** Regroups a stream into chunks of exactly `size` bytes (the last may be shorter). */
export async function* rechunk(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let buf = Buffer.alloc(0);
  for await (const c of source) {
    buf = buf.length ? Buffer.concat([buf, c]) : Buffer.from(c);
    while (buf.length >= size) {
      yield buf.subarray(0, size);
      buf = buf.subarray(size);
    }
  }
  if (buf.length) yield buf;
}
