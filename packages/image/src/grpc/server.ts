import type { Server } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';
import { clientStreamHandler, imagesV1, serverStreamHandler, unaryHandler } from '@tscr/api/grpc';
import type { ImageService, ImportOptions } from '../types.js';
import { formatFromProto, historyToProto, loadedToProto, pruneToProto } from './archive-convert.js';
import { diffOptionsFromProto, layerToProto, newImageFromProto } from './layer-convert.js';
import { deleteResultToProto, imageToProto, importOptionsFromProto, mountToProto } from './convert.js';

/**
 * The grpc-js handlers of `tscr.images.v1.Images`, forwarding every call to
 * `impl` (any {@link ImageService}: local or itself remote). Errors keep
 * their code across the wire; a client that cancels aborts the call's signal.
 */
export function createImageServer(impl: ImageService): imagesV1.ImagesServer {
  return {
    listImages: unaryHandler(async (_req: imagesV1.ListImagesRequest, ctx) => ({
      images: (await impl.list({ signal: ctx.signal })).map(imageToProto),
    })),
    getImage: unaryHandler(async (req: imagesV1.GetImageRequest, ctx) => ({
      image: imageToProto(await impl.get(req.ref, { signal: ctx.signal })),
    })),
    tagImage: unaryHandler(async (req: imagesV1.TagImageRequest, ctx) => {
      await impl.tag(req.source, req.target, { signal: ctx.signal });
      return {};
    }),
    removeImage: unaryHandler(async (req: imagesV1.RemoveImageRequest, ctx) => ({
      results: (await impl.remove(req.ref, { force: req.force, signal: ctx.signal })).map(deleteResultToProto),
    })),
    importImage: clientStreamHandler(async (requests: AsyncIterable<imagesV1.ImportImageRequest>, ctx) => {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      let options: ImportOptions = {};
      let pending: Buffer | undefined;
      if (!first.done) {
        if (first.value.options) options = importOptionsFromProto(first.value.options);
        else pending = first.value.chunk;
      }
      // Pulling from the call as the importer reads applies flow control to the client.
      async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
        if (pending && pending.length > 0) yield pending;
        if (first.done) return;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          if (r.value.options) throw invalidArgument('import options may only come in the first message');
          if (r.value.chunk && r.value.chunk.length > 0) yield r.value.chunk;
        }
      }
      const image = await impl.importTar(chunks(), { ...options, signal: ctx.signal });
      return { image: imageToProto(image) };
    }),
    prepareSnapshot: unaryHandler(async (req: imagesV1.PrepareSnapshotRequest, ctx) => ({
      mounts: (await impl.prepare(req.key, req.image, { signal: ctx.signal })).map(mountToProto),
    })),
    diffSnapshot: unaryHandler(async (req: imagesV1.DiffSnapshotRequest, ctx) => ({
      layer: layerToProto(await impl.diff(req.key, { ...diffOptionsFromProto(req), signal: ctx.signal })),
    })),
    createImage: unaryHandler(async (req: imagesV1.CreateImageRequest, ctx) => ({
      image: imageToProto(await impl.createImage(newImageFromProto(req), { signal: ctx.signal })),
    })),
    snapshotMounts: unaryHandler(async (req: imagesV1.SnapshotMountsRequest, ctx) => ({
      mounts: (await impl.mounts(req.key, { signal: ctx.signal })).map(mountToProto),
    })),
    saveImages: serverStreamHandler(async function* (req: imagesV1.SaveImagesRequest, ctx) {
      for await (const chunk of impl.save(req.refs, { format: formatFromProto(req.format), signal: ctx.signal })) {
        yield { chunk: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) };
      }
    }),
    loadImages: clientStreamHandler(async (requests: AsyncIterable<imagesV1.LoadImagesRequest>, ctx) => {
      async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
        for await (const r of requests) if (r.chunk.length > 0) yield r.chunk;
      }
      return { images: (await impl.load(chunks(), { signal: ctx.signal })).map(loadedToProto) };
    }),
    imageHistory: unaryHandler(async (req: imagesV1.ImageHistoryRequest, ctx) => ({
      steps: (await impl.history(req.ref, { signal: ctx.signal })).map(historyToProto),
    })),
    pruneImages: unaryHandler(async (req: imagesV1.PruneImagesRequest, ctx) =>
      pruneToProto(
        await impl.prune({
          all: req.all,
          filters: req.filters,
          ...(req.hasLiveSnapshots && { liveSnapshots: req.liveSnapshots }),
          signal: ctx.signal,
        }),
      ),
    ),
    removeSnapshot: unaryHandler(async (req: imagesV1.RemoveSnapshotRequest, ctx) => {
      await impl.removeSnapshot(req.key, { signal: ctx.signal });
      return {};
    }),
  };
}

/** Registers the image service backed by `impl` on `server`. */
export function addImageService(server: Server, impl: ImageService): void {
  server.addService(imagesV1.ImagesService, createImageServer(impl));
}
