import type { Server } from '@grpc/grpc-js';
import { invalidArgument } from '@tscr/api';
import { clientStreamHandler, serverStreamHandler, transferV1, unaryHandler } from '@tscr/api/grpc';
import { abortable } from '../transfer/abortable.js';
import type { BlobDescriptor, TransferService } from '@tscr/api';

function descFromProto(d: transferV1.Descriptor | undefined): BlobDescriptor {
  if (!d) throw invalidArgument('a blob descriptor is required');
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/**
 * Splits a client stream whose first message is a header: resolves the
 * header and an iterable of the data of the rest, pulled from the call as
 * it is read (flow control reaches the sender). A cancelled call may never
 * deliver another message: reading then fails with Cancelled.
 */
async function headerAndData<Req extends { data: Buffer }>(
  requests: AsyncIterable<Req>,
  signal: AbortSignal,
): Promise<{ head: Req; data: AsyncIterable<Uint8Array> }> {
  const it = abortable(requests, signal);
  const first = await it.next();
  if (first.done) throw invalidArgument('the stream ended before its first message');
  const head = first.value;
  async function* data(): AsyncGenerator<Uint8Array> {
    if (head.data.length > 0) yield head.data;
    for await (const msg of { [Symbol.asyncIterator]: () => it }) if (msg.data.length > 0) yield msg.data;
  }
  return { head, data: data() };
}

/** The Transfer service's handlers, forwarding to `impl`. */
export function createTransferServer(impl: TransferService): transferV1.TransferServer {
  return {
    sendImages: serverStreamHandler((req, { signal }) => impl.sendImages(req.refs, req.target, { signal })),
    sendVolume: unaryHandler(async (req, { signal }) => impl.sendVolume(req.name, req.target, { signal })),
    missingBlobs: unaryHandler(async (req, { signal }) => ({
      missing: await impl.missingBlobs(req.digests, { signal }),
    })),
    putBlob: clientStreamHandler(async (requests: AsyncIterable<transferV1.PutBlobRequest>, { signal }) => {
      const { head, data } = await headerAndData(requests, signal);
      return { received: await impl.putBlob(descFromProto(head.descriptor), data, { signal }) };
    }),
    recordImage: unaryHandler(async (req, { signal }) => {
      await impl.recordImage(req.ref, descFromProto(req.manifest), { signal });
      return {};
    }),
    putVolume: clientStreamHandler(async (requests: AsyncIterable<transferV1.PutVolumeRequest>, { signal }) => {
      const { head, data } = await headerAndData(requests, signal);
      const spec = { name: head.name, driver: head.driver || 'local', labels: head.labels };
      return { received: await impl.putVolume(spec, data, { signal }) };
    }),
    getBlob: serverStreamHandler((req, { signal }) => blobMessages(impl.getBlob(req.digest, { signal }))),
    stats: unaryHandler(async (_req, { signal }) => impl.stats({ signal })),
  };
}

async function* blobMessages(data: AsyncIterable<Uint8Array>): AsyncGenerator<transferV1.GetBlobResponse> {
  for await (const chunk of data) yield { data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) };
}

/** Registers the Transfer service, backed by `impl`, on `server`. */
export function addTransferService(server: Server, impl: TransferService): void {
  server.addService(transferV1.TransferService, createTransferServer(impl));
}
