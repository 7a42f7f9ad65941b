import { cancelled, unimplemented } from '@tscr/api';
import { parseReference } from '../reference/parse.js';
import type { CallOptions, Progress, Reference, RegistryClient } from '../types.js';

function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('registry call cancelled');
}

/**
 * The registry layer, in process. Parses references; pull and push raise
 * Unimplemented (once iterated, after the reference is checked) until the
 * OCI distribution client lands.
 */
export class LocalRegistryClient implements RegistryClient {
  async parseReference(ref: string): Promise<Reference> {
    return parseReference(ref);
  }

  /** @throws InvalidArgument for a malformed reference; otherwise Unimplemented (registry pull). */
  // biome-ignore lint/correctness/useYield: raises Unimplemented until the distribution client is wired
  async *pull(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    checkSignal(opts);
    parseReference(ref);
    throw unimplemented('registry pull');
  }

  /** @throws InvalidArgument for a malformed reference; otherwise Unimplemented (registry push). */
  // biome-ignore lint/correctness/useYield: raises Unimplemented until the distribution client is wired
  async *push(ref: string, opts?: CallOptions): AsyncGenerator<Progress, void, undefined> {
    checkSignal(opts);
    parseReference(ref);
    throw unimplemented('registry push');
  }
}

/** Creates the in-process registry client. */
export function createRegistryClient(): LocalRegistryClient {
  return new LocalRegistryClient();
}
