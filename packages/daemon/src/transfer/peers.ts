import type { BlobSource, Descriptor } from '@tscr/registry-client';
import type { RemoteTransfer } from './local-transfer.js';
import type { CallOptions } from '@tscr/api';

/** How long a peer may take to say whether it has a blob before it is skipped. */
export const PEER_TIMEOUT_MS = 2000;

/** Rejects once `signal` aborts. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Other daemons' content stores as a source of layers on a pull: each peer
 * in turn is asked whether it has the digest (giving up after a short
 * timeout), and the first that has it streams it. The pull verifies the
 * bytes; a peer that lies costs a discarded blob, not a bad layer.
 */
export class PeerBlobSource implements BlobSource {
  private readonly clients = new Map<string, RemoteTransfer>();

  constructor(
    private readonly peers: string[],
    private readonly connect: (address: string) => RemoteTransfer,
    private readonly timeoutMs = PEER_TIMEOUT_MS,
  ) {}

  private client(peer: string): RemoteTransfer {
    let c = this.clients.get(peer);
    if (!c) {
      c = this.connect(peer);
      this.clients.set(peer, c);
    }
    return c;
  }

  /** @inheritdoc */
  async open(desc: Descriptor, opts: CallOptions = {}): Promise<AsyncIterable<Uint8Array> | undefined> {
    for (const peer of this.peers) {
      const client = this.client(peer);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        // The timeout holds even for a client that ignores the signal.
        const missing = await Promise.race([client.missingBlobs([desc.digest], { signal }), whenAborted(signal)]);
        if (missing.length === 0) return client.getBlob(desc.digest, opts);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        // unreachable or slow: try the next peer
      }
    }
    return undefined;
  }

  /** Closes the peers' channels. */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
