import { invalidArgument, notFound, type ContainerInfo } from '@tscr/api';
import type { ContainerStore } from '../store.js';

/** A full container ID: 64 lowercase hex digits. */
export const ID_PATTERN = /^[0-9a-f]{64}$/;

/**
 * A record by full ID, exact name, or unique ID prefix (in that order).
 * @throws NotFound; InvalidArgument when a prefix matches several IDs.
 */
export function lookupContainer(store: ContainerStore, ref: string): ContainerInfo {
  const key = ref.startsWith('/') ? ref.slice(1) : ref;
  const found = (ID_PATTERN.test(key) ? store.get(key) : undefined) ?? (key ? store.getByName(key) : undefined);
  if (found) return found;
  if (/^[0-9a-f]+$/.test(key)) {
    const matches = store.findByIdPrefix(key);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1)
      throw invalidArgument(`multiple IDs found with provided prefix: ${key}`, { details: { id: key } });
  }
  throw notFound(`no such container: ${ref}`, { details: { id: ref } });
}
