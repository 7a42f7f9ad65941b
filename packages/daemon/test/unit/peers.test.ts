import { describe, expect, it } from 'vitest';
import type { RemoteTransfer } from '../../src/transfer/local-transfer.js';
import { PeerBlobSource } from '../../src/transfer/peers.js';

const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'cd'.repeat(32)}`, size: 3 };

function peer(over: Partial<RemoteTransfer>): RemoteTransfer {
  return {
    async missingBlobs(d: string[]) {
      return d;
    },
    async *getBlob() {
      yield Buffer.from('abc');
    },
    close() {},
    ...over,
  } as RemoteTransfer;
}

async function read(it: AsyncIterable<Uint8Array> | undefined): Promise<string | undefined> {
  if (!it) return undefined;
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts).toString();
}

describe('peers as a layer source', () => {
  it('asks each peer in turn, skipping one that does not answer in time, and streams from the first that has it', async () => {
    const asked: string[] = [];
    const peers: Record<string, RemoteTransfer> = {
      slow: peer({
        missingBlobs: () => {
          asked.push('slow');
          return new Promise(() => undefined);
        },
      }),
      lacks: peer({
        async missingBlobs(d) {
          asked.push('lacks');
          return d;
        },
      }),
      has: peer({
        async missingBlobs() {
          asked.push('has');
          return [];
        },
      }),
    };
    const source = new PeerBlobSource(['slow', 'lacks', 'has'], (a) => peers[a]!, 50);
    expect(await read(await source.open(desc))).toBe('abc');
    expect(asked).toEqual(['slow', 'lacks', 'has']);
  });

  it('answers undefined when no peer has the blob, or a peer fails', async () => {
    const down = peer({
      missingBlobs: async () => {
        throw new Error('connection refused');
      },
    });
    const source = new PeerBlobSource(['down', 'lacks'], (a) => (a === 'down' ? down : peer({})), 50);
    expect(await source.open(desc)).toBeUndefined();
  });
});
