/**
 * What the daemon knows about plug-in volumes that the plug-in does not keep: the driver of each volume, its
 * labels and options, its creation time, the containers using it and the mounts made for them. One JSON file,
 * rewritten atomically after each change, so the daemon still knows after a restart which plug-in holds a volume
 * and what it must unmount.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, fromSystemError } from '@tscr/api';

/** One plug-in volume. */
export interface PluginVolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339. */
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Container IDs that reference it. */
  usedBy: string[];
  /** Container ID → the mountpoint `VolumeDriver.Mount` gave, while mounted for it. */
  mounts: Record<string, string>;
}

/** The records of every plug-in volume of one daemon. Changes are serialized. */
export class PluginVolumeRecords {
  readonly #file: string | undefined;
  #records: Map<string, PluginVolumeRecord> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param file where they are kept; in memory only when undefined (tests). */
  constructor(file?: string) {
    this.#file = file;
  }

  /** Loads the file (once); an absent file is no volumes. */
  async load(): Promise<Map<string, PluginVolumeRecord>> {
    if (this.#records) return this.#records;
    let doc: PluginVolumeRecord[] = [];
    if (this.#file) {
      try {
        doc = JSON.parse(await readFile(this.#file, 'utf8')) as PluginVolumeRecord[];
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw fromSystemError(err, `plug-in volume records ${this.#file}`);
      }
    }
    this.#records ??= new Map(doc.map((r) => [r.name, r]));
    return this.#records;
  }

  /** The names of the drivers holding volumes, without reading the file (empty before `load`). */
  drivers(): string[] {
    return [...new Set([...(this.#records?.values() ?? [])].map((r) => r.driver))];
  }

  /** A copy of volume `name`'s record. */
  async get(name: string): Promise<PluginVolumeRecord | undefined> {
    const r = (await this.load()).get(name);
    return r && structuredClone(r);
  }

  /** Copies of the records of `driver`. */
  async list(driver: string): Promise<PluginVolumeRecord[]> {
    return [...(await this.load()).values()].filter((r) => r.driver === driver).map((r) => structuredClone(r));
  }

  /** Runs `change` alone, then saves. `change` edits the live map. */
  update<T>(change: (records: Map<string, PluginVolumeRecord>) => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(async () => {
      const records = await this.load();
      try {
        return await change(records);
      } finally {
        await this.#save(records);
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(records: Map<string, PluginVolumeRecord>): Promise<void> {
    if (!this.#file) return;
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.tmp`;
    await writeFile(tmp, `${JSON.stringify([...records.values()], null, 1)}\n`, { mode: 0o600 });
    await rename(tmp, this.#file);
  }
}
