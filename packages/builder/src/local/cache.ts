import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Key of a build state: the previous state's key and what the step did. */
export function chainKey(previous: string, ...parts: string[]): string {
  const h = createHash('sha256').update(previous);
  for (const p of parts) h.update('\0').update(p);
  return h.digest('hex');
}

/**
 * The build cache: state key → image ID of the image that state produced,
 * kept in one small JSON file (written atomically), loaded once.
 */
export class BuildCache {
  private entries: Map<string, string> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** The image a state produced, if recorded. */
  async get(key: string): Promise<string | undefined> {
    return (await this.load()).get(key);
  }

  /** Records (or replaces) the image of a state. */
  async set(key: string, imageId: string): Promise<void> {
    (await this.load()).set(key, imageId);
    await this.save();
  }

  /** Forgets a state (its image is gone). */
  async delete(key: string): Promise<void> {
    if ((await this.load()).delete(key)) await this.save();
  }

  private async load(): Promise<Map<string, string>> {
    if (this.entries) return this.entries;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { entries?: Record<string, string> };
      this.entries = new Map(Object.entries(parsed.entries ?? {}));
    } catch {
      this.entries = new Map(); // missing or unreadable: an empty cache
    }
    return this.entries;
  }

  private save(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries ?? []) });
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp-${randomBytes(6).toString('hex')}`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
