import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, type ContainerInfo } from '@tscr/api';
import type { ContainerStore } from '@tscr/container';

/** File name of the copy of a container's record inside its directory. */
export const RECORD_FILE = 'record.json';

/** What the copy of a container being removed is renamed to: no copy is re-adopted from it. */
export const RETIRED_RECORD_FILE = 'record.json.removing';

/** Queued instead of a copy's text: the copy is to be retired (renamed to {@link RETIRED_RECORD_FILE}). */
const RETIRE = Symbol('retire');

const ID = /^[0-9a-f]{64}$/;

/** A store that can take a record already serialized, so a record is turned into JSON once per change. */
export type TextContainerStore = ContainerStore & {
  insert(info: ContainerInfo, text?: string): void;
  update(info: ContainerInfo, text?: string): void;
  close?(): void;
};

/**
 * A {@link ContainerStore} that also keeps a copy of each record in the
 * container's own directory (`<containers>/<id>/record.json`, replaced
 * atomically on every change, as dockerd keeps `config.v2.json`). The
 * database stays the one that is read; the copies let a daemon whose
 * database was lost or corrupted re-adopt its containers ({@link adoptOrphans}).
 * A record whose directory is gone (being removed) gets no copy.
 *
 * The copy of a new record is written before `insert` returns. Later copies
 * are written behind the database, off the caller's path (an ext4 rename
 * over an existing file starts a write-back: about a millisecond that every
 * start, exit and removal used to wait for, with the event loop blocked):
 * one write at a time per container, the newest state winning. The
 * database is the record; a copy is at most one change behind it, for the
 * moment a write takes.
 */
export class MirroredContainerStore implements ContainerStore {
  /** Per container: the newest copy not yet being written (or its retirement). */
  private readonly queued = new Map<string, string | typeof RETIRE>();
  /** Per container: the write of copies under way. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly inner: TextContainerStore,
    /** The directory that holds one directory per container. */
    private readonly containersDir: string,
  ) {}

  /** The row first (it settles name races), then the copy; a copy that cannot be written undoes the row. */
  insert(info: ContainerInfo): void {
    const text = JSON.stringify(info);
    this.inner.insert(info, text);
    try {
      this.mirrorText(info.id, text);
    } catch (err) {
      this.inner.delete(info.id);
      throw err;
    }
  }

  /**
   * The row, then the copy behind it (see the class). A container marked
   * `removing` gets no new copy: its copy is retired (renamed, at once when
   * no write of it is under way), so that with the database lost its
   * directory is removed as leftovers — what its removal was doing — instead
   * of re-adopted. The removal then has no copy to wait for (a replacing
   * rename's write-back, about a millisecond on its path).
   */
  update(info: ContainerInfo): void {
    const text = JSON.stringify(info);
    this.inner.update(info, text);
    const retire = info.state.status === 'removing';
    if (retire && !this.writing.has(info.id)) {
      this.queued.delete(info.id);
      this.retire(info.id);
      return;
    }
    this.queued.set(info.id, retire ? RETIRE : text);
    if (!this.writing.has(info.id)) this.writing.set(info.id, this.drain(info.id));
  }

  /** Settles once the copies of `id` queued so far are written (or have failed: the database holds the record). */
  settled(id: string): Promise<void> {
    return this.writing.get(id) ?? Promise.resolve();
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
    this.queued.delete(id);
    const file = join(this.containersDir, id, RECORD_FILE);
    rmSync(file, { force: true });
    // A copy being written lands after this: removed again once it has.
    void this.writing.get(id)?.then(() => rmSync(file, { force: true }));
  }

  /** Writes the copies still queued, then closes the inner store (when it has something to close). */
  close(): void {
    for (const [id, text] of this.queued) {
      if (text === RETIRE) this.retire(id);
      else this.mirrorText(id, text);
    }
    this.queued.clear();
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

  /** Writes the queued copies of `id`, newest last, until none is left. A failed write is skipped: the row stays. */
  private async drain(id: string): Promise<void> {
    try {
      for (let text = this.queued.get(id); text !== undefined; text = this.queued.get(id)) {
        this.queued.delete(id);
        if (text === RETIRE) {
          this.retire(id);
          continue;
        }
        const file = join(this.containersDir, id, RECORD_FILE);
        const tmp = `${file}.tmp`;
        try {
          await writeFile(tmp, text, { mode: 0o600 });
          await rename(tmp, file);
        } catch {
          await rm(tmp, { force: true }).catch(() => undefined);
        }
      }
    } finally {
      this.writing.delete(id);
    }
  }

  /** Renames the copy of `id` aside (a rename to a free name: no write-back); none there is fine. */
  private retire(id: string): void {
    try {
      renameSync(join(this.containersDir, id, RECORD_FILE), join(this.containersDir, id, RETIRED_RECORD_FILE));
    } catch {
      // No copy (or no directory): nothing to re-adopt either way.
    }
  }

  private mirrorText(id: string, text: string): void {
    const file = join(this.containersDir, id, RECORD_FILE);
    const tmp = `${file}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      // The directory is gone (the container is being removed): nothing to mirror into.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, `cannot write ${file}`);
    }
  }
}
