import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, isNotFound } from '@tscr/api';
import { VOLUME_NAME } from './parse-bind.js';

/** What the local driver keeps about one volume (`<root>/<name>/volume.json`). */
export interface VolumeRecord {
  name: string;
  driver: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Containers that reference the volume. */
  usedBy: string[];
}

const META_FILE = 'volume.json';

/**
 * Volume records on disk, one directory per volume with its data in
 * `_data` and its record in `volume.json` (written atomically), so volumes
 * survive daemon restarts.
 */
export class VolumeStore {
  constructor(readonly root: string) {}

  /** The volume's directory. */
  dir(name: string): string {
    return join(this.root, name);
  }

  /** Where the volume's data lives. */
  dataDir(name: string): string {
    return join(this.root, name, '_data');
  }

  /** Every stored record; directories without a readable record are skipped. */
  async list(): Promise<VolumeRecord[]> {
    const entries = await readdir(this.root).catch((err: unknown) => {
      if (isNotFound(fromSystemError(err))) return [] as string[];
      throw fromSystemError(err, `cannot list volumes in ${this.root}`);
    });
    const out: VolumeRecord[] = [];
    for (const name of entries.filter((e) => VOLUME_NAME.test(e)).sort()) {
      const rec = await this.get(name);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** The record, or undefined when there is none. */
  async get(name: string): Promise<VolumeRecord | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir(name), META_FILE), 'utf8');
    } catch (err) {
      if (isNotFound(fromSystemError(err))) return undefined;
      throw fromSystemError(err, `cannot read volume ${name}`);
    }
    return JSON.parse(text) as VolumeRecord;
  }

  /** Makes the volume's directories (data dir mode 0755, like Docker's). */
  async makeDirs(name: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    await mkdir(this.dir(name), { mode: 0o701 });
    await mkdir(this.dataDir(name), { mode: 0o755 });
  }

  /** Writes the record atomically (temp file, then rename). */
  async put(rec: VolumeRecord): Promise<void> {
    const file = join(this.dir(rec.name), META_FILE);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(rec, null, 1)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  }

  /** Deletes the record only: the volume is no longer listed; {@link delete} removes the rest. */
  async unpublish(name: string): Promise<void> {
    await rm(join(this.dir(name), META_FILE), { force: true });
  }

  /** Deletes the directories that have no record (what an interrupted create or remove leaves). */
  async sweep(): Promise<string[]> {
    const entries = await readdir(this.root).catch(() => [] as string[]);
    const swept: string[] = [];
    for (const name of entries.filter((e) => VOLUME_NAME.test(e))) {
      if (await this.get(name).catch(() => 'unreadable: kept')) continue;
      await this.delete(name);
      swept.push(name);
    }
    return swept;
  }

  /** Deletes the volume's directory and everything in it. */
  async delete(name: string): Promise<void> {
    await rm(this.dir(name), { recursive: true, force: true });
  }
}
