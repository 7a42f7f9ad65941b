import { createHash } from 'node:crypto';
import type { Network } from '../types.js';

/** The drivers of the predefined networks, as Docker names them. */
export const NULL_DRIVER = 'null';
export const HOST_DRIVER = 'host';

/** The predefined networks: their names and drivers. */
export const BUILTIN_NETWORKS: ReadonlyArray<{ name: string; driver: string }> = [
  { name: 'none', driver: NULL_DRIVER },
  { name: 'host', driver: HOST_DRIVER },
];

/**
 * A stable 64-hex-digit ID for a predefined network: the same on every host
 * and every daemon start, so scripts may keep it.
 */
export function builtinNetworkId(name: string): string {
  return createHash('sha256').update(`tscr builtin network ${name}`).digest('hex');
}

/** The {@link Network} record of a predefined network. */
export function builtinNetwork(name: string, driver: string, created: string): Network {
  return {
    id: builtinNetworkId(name),
    name,
    driver,
    created,
    labels: {},
    builtin: true,
    internal: false,
    options: {},
    ipam: [],
    containers: {},
  };
}
