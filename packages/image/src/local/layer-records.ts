import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError, internal, isErrno } from '@tscr/api';
import { digestHex } from './blob-store.js';
import { writeFileAtomic } from './fs-util.js';

/** What the store remembers about a layer blob it unpacked. */
export interface LayerRecord {
  /** `sha256:` of the uncompressed tar: the layer's diff ID, and its directory `layers/<hex>`. */
  diffID: string;
  /** The blob's media type as the manifest gave it. */
  mediaType: string;
  /** Bytes of content the layer unpacked to (see `UnpackStats.size`); absent in records of older pulls. */
  size?: number;
}

/**
 * Layer blob digest → diff ID, one small JSON file per layer blob
 * (`<dir>/<blob hex>.json`). A blob without a record is not a layer, or
 * an uncompressed layer stored by `importTar` (its digest is its diff ID).
 */
export class LayerRecords {
  constructor(readonly dir: string) {}

  /** The record of layer blob `digest`, or undefined. */
  async get(digest: string): Promise<LayerRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(digest), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw fromSystemError(err, `cannot read the layer record of ${digest}`);
    }
    try {
      return JSON.parse(text) as LayerRecord;
    } catch (err) {
      throw internal(`corrupt layer record of ${digest}`, { cause: err });
    }
  }

  /** Records (or replaces) what layer blob `digest` unpacks to. */
  async put(digest: string, record: LayerRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.file(digest), `${JSON.stringify(record)}\n`);
  }

  /** Forgets layer blob `digest` (idempotent). */
  async delete(digest: string): Promise<void> {
    await rm(this.file(digest), { force: true });
  }

  private file(digest: string): string {
    return join(this.dir, `${digestHex(digest)}.json`);
  }
}
