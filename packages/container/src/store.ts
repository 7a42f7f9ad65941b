import type { ContainerInfo, TscrEvent } from '@tscr/api';

/**
 * Where container records persist. Synchronous on purpose: implementations
 * are an embedded database (the daemon's SQLite) or memory (tests).
 * Records are stored as given; the service owns their meaning.
 */
export interface ContainerStore {
  /** @throws AlreadyExists when the ID or the name is taken (checked atomically). */
  insert(info: ContainerInfo): void;
  /** Replaces the record with the same ID. @throws NotFound. */
  update(info: ContainerInfo): void;
  /** By exact ID. */
  get(id: string): ContainerInfo | undefined;
  /** By exact name (no leading slash). */
  getByName(name: string): ContainerInfo | undefined;
  /** Every record whose ID starts with `prefix`. */
  findByIdPrefix(prefix: string): ContainerInfo[];
  /**
   * Every record; with `active`, only those running or waiting to restart
   * (what `ps` without `-a` shows), which a store may answer without reading the others.
   */
  list(filter?: { active?: boolean }): ContainerInfo[];
  /** Idempotent. */
  delete(id: string): void;
  /**
   * Optional: settles once whatever the store still writes for `id` outside
   * its database (a copy in the container's directory) is written. The
   * service awaits it before it removes that directory.
   */
  settled?(id: string): Promise<void>;
}

/** Receives the events a layer emits (the daemon fans them out to `events` streams). */
export interface EventPublisher {
  publish(event: Omit<TscrEvent, 'timeNano'>): void;
}

/** Running, or waiting to be restarted: a record `list({ active: true })` returns. */
export function isActive(info: ContainerInfo): boolean {
  return info.state.running || info.state.status === 'restarting';
}
