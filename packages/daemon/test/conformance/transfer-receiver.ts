/**
 * The receiving side of the Transfer service, run against every
 * implementation (in process, and through a real gRPC server): only verified
 * blobs are kept, an image is named only once its blobs are in, counters
 * count what arrived, and error codes survive the wire.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferService } from '@tscr/api';

/** What a suite run gets: the service, and a look into the fake store under it. */
export interface ReceiverFixture {
  service: TransferService;
  stored: Map<string, Buffer>;
  tagged: Map<string, string>;
  /** Blob writes under way in the store. */
  writing: { count: number };
  cleanup(): Promise<void>;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const LAYER = 'application/vnd.oci.image.layer.v1.tar';

async function* chunks(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

/** Registers the suite. */
export function describeTransferReceiver(name: string, make: () => Promise<ReceiverFixture>): void {
  describe(`transfer receiver conformance: ${name}`, () => {
    let f: ReceiverFixture;
    beforeAll(async () => {
      f = await make();
    });
    afterAll(async () => {
      await f.cleanup();
    });

    it('keeps a blob whose digest and size match, and counts its bytes', async () => {
      const data = Buffer.from('tscr-test layer bytes');
      const desc = { mediaType: LAYER, digest: sha(data), size: data.length };
      expect(await f.service.missingBlobs([desc.digest])).toEqual([desc.digest]);
      expect(await f.service.putBlob(desc, chunks(data.subarray(0, 5), data.subarray(5)))).toBe(data.length);
      expect(f.stored.get(desc.digest)).toEqual(data);
      expect(await f.service.missingBlobs([desc.digest])).toEqual([]);
      const stats = await f.service.stats();
      expect(stats.blobsReceived).toBe(1);
      expect(stats.blobBytesReceived).toBe(data.length);
    });

    it('refuses wrong bytes, a wrong size and a malformed digest with nothing kept', async () => {
      const data = Buffer.from('honest bytes');
      const other = Buffer.from('lying bytes!');
      const desc = { mediaType: LAYER, digest: sha(data), size: data.length };
      await expect(f.service.putBlob(desc, chunks(other))).rejects.toMatchObject({ code: 'DataLoss' });
      await expect(f.service.putBlob({ ...desc, size: 3 }, chunks(data))).rejects.toMatchObject({ code: 'DataLoss' });
      await expect(f.service.putBlob(desc, chunks(data.subarray(0, 4)))).rejects.toMatchObject({ code: 'DataLoss' });
      expect(f.stored.has(desc.digest)).toBe(false);
      await expect(f.service.missingBlobs(['sha256:nothex'])).rejects.toMatchObject({ code: 'InvalidArgument' });
    });

    it('ends the store write when the sender cancels half-way, keeping nothing', async () => {
      const data = Buffer.alloc(4 << 20, 7);
      const desc = { mediaType: LAYER, digest: sha(data), size: data.length };
      const stop = new AbortController();
      async function* half() {
        yield data.subarray(0, 1 << 20);
        await new Promise((r) => setTimeout(r, 100));
        stop.abort();
        await new Promise((r) => setTimeout(r, 10_000));
      }
      await expect(f.service.putBlob(desc, half(), { signal: stop.signal })).rejects.toMatchObject({
        code: 'Cancelled',
      });
      for (let i = 0; i < 40 && f.writing.count > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(f.writing.count).toBe(0);
      expect(f.stored.has(desc.digest)).toBe(false);
    });

    it('names an image only when its manifest is here', async () => {
      const manifest = Buffer.from('{"schemaVersion":2}');
      const desc = {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha(manifest),
        size: manifest.length,
      };
      await expect(f.service.recordImage('tscr-test/img:1', desc)).rejects.toMatchObject({
        code: 'FailedPrecondition',
      });
      expect(f.tagged.size).toBe(0);
      await f.service.putBlob(desc, chunks(manifest));
      await f.service.recordImage('tscr-test/img:1', desc);
      expect(f.tagged.get('docker.io/tscr-test/img:1')).toBe(desc.digest);
    });

    it('serves stored blobs to peers, NotFound for others', async () => {
      const data = Buffer.from('served');
      const desc = { mediaType: LAYER, digest: sha(data), size: data.length };
      await f.service.putBlob(desc, chunks(data));
      const parts: Uint8Array[] = [];
      for await (const c of f.service.getBlob(desc.digest)) parts.push(c);
      expect(Buffer.concat(parts)).toEqual(data);
      const missing = async () => {
        for await (const _ of f.service.getBlob(`sha256:${'0'.repeat(64)}`)) {
          // nothing
        }
      };
      await expect(missing()).rejects.toMatchObject({ code: 'NotFound' });
      expect((await f.service.stats()).blobBytesServed).toBeGreaterThanOrEqual(data.length);
    });
  });
}
