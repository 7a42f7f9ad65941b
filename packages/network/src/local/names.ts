import { cancelled, invalidArgument } from '@tscr/api';
import type { CallOptions } from '../types.js';

/** Docker's rule for network names. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Shortest ID prefix accepted in place of a name, as for images. */
const MIN_ID_PREFIX = 12;

/** @throws InvalidArgument for a name Docker would refuse. */
export function checkNetworkName(name: string): void {
  if (!NETWORK_NAME.test(name)) {
    throw invalidArgument(`invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {
      details: { network: name },
    });
  }
}

/** @throws Cancelled when the call's signal has fired. */
export function checkSignal(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw cancelled('network call cancelled');
}

/** A network by name, full ID, or an unambiguous ID prefix of 12+ hex digits. */
export function lookupNetwork<T extends { id: string; name: string }>(all: T[], nameOrId: string): T | undefined {
  const exact = all.find((n) => n.name === nameOrId || n.id === nameOrId);
  if (exact || nameOrId.length < MIN_ID_PREFIX || !/^[a-f0-9]+$/.test(nameOrId)) return exact;
  const byId = all.filter((n) => n.id.startsWith(nameOrId));
  return byId.length === 1 ? byId[0] : undefined;
}
