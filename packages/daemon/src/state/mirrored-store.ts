import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError, type ContainerInfo } from '@tscr/api';
import type { ContainerStore } from '@tscr/container';

/** File name of the copy of a container's record inside its directory. */
export const RECORD_FILE = 'record.json';

const ID = /^[0-9a-f]{64}$/;

/**
 * A {@link ContainerStore} that also keeps a copy of each record in the
 * container's own directory (`<containers>/<id>/record.json`, replaced
 * atomically on every change, as dockerd keeps `config.v2.json`). The
 * database stays the one that is read; the copies let a daemon whose
 * database was lost or corrupted re-adopt its containers ({@link adoptOrphans}).
 * A record whose directory is gone (being removed) gets no copy.
 */
export class MirroredContainerStore implements ContainerStore {
  constructor(
    private readonly inner: ContainerStore & { close?(): void },
    /** The directory that holds one directory per container. */
    private readonly containersDir: string,
  ) {}

  /** The row first (it settles name races), then the copy; a copy that cannot be written undoes the row. */
  insert(info: ContainerInfo): void {
    this.inner.insert(info);
    try {
      this.mirror(info);
    } catch (err) {
      this.inner.delete(info.id);
      throw err;
    }
  }

  /** The copy first: when it cannot be written (a full disk), the row keeps its old state too. */
  update(info: ContainerInfo): void {
    this.mirror(info);
    this.inner.update(info);
  }

  get(id: string): ContainerInfo | undefined {
    return this.inner.get(id);
  }

  getByName(name: string): ContainerInfo | undefined {
    return this.inner.getByName(name);
  }

  findByIdPrefix(prefix: string): ContainerInfo[] {
    return this.inner.findByIdPrefix(prefix);
  }

  list(filter?: { active?: boolean }): ContainerInfo[] {
    return this.inner.list(filter);
  }

  delete(id: string): void {
    this.inner.delete(id);
    rmSync(join(this.containersDir, id, RECORD_FILE), { force: true });
  }

  /** Closes the inner store (when it has something to close). */
  close(): void {
    this.inner.close?.();
  }

  /**
   * Inserts the record copy of every container directory the database has
   * no row for (the database was deleted, corrupted, or lost its last
   * writes). Resolves with the IDs adopted; copies that cannot be read are skipped.
   */
  adoptOrphans(log: (message: string) => void): string[] {
    const adopted: string[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(this.containersDir);
    } catch {
      return adopted;
    }
    for (const id of entries) {
      if (!ID.test(id) || this.inner.get(id)) continue;
      let info: ContainerInfo;
      try {
        info = JSON.parse(readFileSync(join(this.containersDir, id, RECORD_FILE), 'utf8')) as ContainerInfo;
      } catch {
        continue; // no copy: an interrupted create, which recovery removes
      }
      if (info.id !== id) continue;
      try {
        this.inner.insert(info);
      } catch (err) {
        // Its name was taken meanwhile (only when two records claim it): keep it under its ID.
        log(`state: container ${id} (${info.name}): ${(err as Error).message}; adopted as ${id.slice(0, 12)}`);
        this.inner.insert({ ...info, name: id.slice(0, 12) });
      }
      log(
        `state: re-adopted container ${id.slice(0, 12)} (${info.name}, last known ${info.state.status}) from ${RECORD_FILE}`,
      );
      adopted.push(id);
    }
    return adopted;
  }

  private mirror(info: ContainerInfo): void {
    const file = join(this.containersDir, info.id, RECORD_FILE);
    const tmp = `${file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      // The directory is gone (the container is being removed): nothing to mirror into.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, `cannot write ${file}`);
    }
  }
}
