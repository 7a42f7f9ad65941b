import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Server } from '@grpc/grpc-js';
import { fromSystemError, notFound } from '@tscr/api';
import { builderV1, clientStreamHandler, serverStreamHandler } from '@tscr/api/grpc';
import type { BuilderService } from '../types.js';
import { buildOptionsFromProto, eventToProto } from './convert.js';

/** Options of {@link createBuilderServer}. */
export interface BuilderServerOptions {
  /** Where uploaded contexts are spooled until their build; default the OS temp dir. */
  spoolDir?: string;
  /** An upload no Build claims within this time is deleted; default 10 minutes. */
  uploadTtlMs?: number;
}

const CONTEXT_ID = /^[a-f0-9]{32}$/;

/**
 * The grpc-js handlers of `tscr.builder.v1.Builder`, forwarding to `impl`
 * (any {@link BuilderService}). UploadContext spools the context tar to a
 * file (never to memory); Build streams that file to `impl` and deletes it.
 */
export function createBuilderServer(impl: BuilderService, options: BuilderServerOptions = {}): builderV1.BuilderServer {
  const dir = options.spoolDir ?? join(tmpdir(), 'tscr-build-contexts');
  const ttl = options.uploadTtlMs ?? 10 * 60 * 1000;
  const uploads = new Map<string, { file: string; timer: NodeJS.Timeout }>();
  // Uploads an earlier server (a crashed daemon) left behind go on the first upload.
  let swept: Promise<void> | undefined;
  const sweep = () => {
    swept ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(dir)) {
        if (!uploads.has(name.replace(/\.tar$/, ''))) await rm(join(dir, name), { force: true, recursive: true });
      }
    })();
    return swept;
  };
  const claim = (id: string) => {
    const u = uploads.get(id);
    if (!u) return undefined;
    uploads.delete(id);
    clearTimeout(u.timer);
    return u.file;
  };
  return {
    uploadContext: clientStreamHandler(async (requests: AsyncIterable<builderV1.UploadContextRequest>, ctx) => {
      await sweep();
      const id = randomBytes(16).toString('hex');
      const file = join(dir, `${id}.tar`);
      async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
        for await (const r of requests) if (r.chunk.length > 0) yield r.chunk;
      }
      try {
        await pipeline(Readable.from(chunks()), createWriteStream(file, { mode: 0o600 }), { signal: ctx.signal });
      } catch (err) {
        await rm(file, { force: true });
        throw fromSystemError(err, 'cannot store the build context');
      }
      const timer = setTimeout(() => {
        uploads.delete(id);
        void rm(file, { force: true });
      }, ttl);
      timer.unref();
      uploads.set(id, { file, timer });
      return { contextId: id };
    }),
    build: serverStreamHandler(async function* (req: builderV1.BuildRequest, ctx) {
      const file = CONTEXT_ID.test(req.contextId) ? claim(req.contextId) : undefined;
      if (!file) throw notFound(`no uploaded build context ${req.contextId}`, { details: { context: req.contextId } });
      try {
        const events = impl.build(createReadStream(file, { highWaterMark: 1 << 20 }), {
          ...buildOptionsFromProto(req),
          signal: ctx.signal,
        });
        for await (const e of events) yield eventToProto(e);
      } finally {
        await rm(file, { force: true });
      }
    }),
  };
}

/** Registers the builder service backed by `impl` on `server`. */
export function addBuilderService(server: Server, impl: BuilderService, options?: BuilderServerOptions): void {
  server.addService(builderV1.BuilderService, createBuilderServer(impl, options));
}
