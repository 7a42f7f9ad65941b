import { mkdirSync, readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DirTrash,
  alreadyExists,
  fromSystemError,
  internal,
  invalidArgument,
  notFound,
  type Image,
  type Mount,
  isErrno,
} from '@tscr/api';
import type { CallOptions, Snapshotter } from '../types.js';
import { spreadSubdirectories, throwIfAborted, writeFileAtomicSync } from './fs-util.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const RECORD = 'snapshot.json';

/** What a snapshot remembers about its making. */
export interface SnapshotRecord {
  /** The caller's key (usually the container ID). */
  key: string;
  /** ID of the image it was prepared from. */
  image: string;
  /** Diff IDs of the read-only layers, base first. */
  layers: string[];
  /** RFC 3339. */
  created: string;
}

/** Options of {@link LocalSnapshotter}. */
export interface LocalSnapshotterOptions {
  /** Directory holding one sub-directory per snapshot. */
  dir: string;
  /** Directory of the unpacked layer with diff ID `diffId`. */
  layerDir: (diffId: string) => string;
  /** Resolves the image a snapshot is prepared from. @throws NotFound. */
  resolveImage: (ref: string, opts?: CallOptions) => Promise<Image>;
  /**
   * Where removed snapshots go to be deleted behind the call (same filesystem
   * as `dir`); without it a removal deletes the files before it returns.
   */
  trashDir?: string;
  /** Where failures of background removals are reported. */
  log?: (message: string) => void;
}

/** Checks a snapshot key. @throws InvalidArgument. */
export function validateSnapshotKey(key: string): void {
  if (!KEY.test(key)) {
    throw invalidArgument(`invalid snapshot key ${JSON.stringify(key)}: want [A-Za-z0-9][A-Za-z0-9_.-]{0,127}`, {
      details: { key },
    });
  }
}

/**
 * Overlay snapshots: `<dir>/<key>/{upper,work}` over an image's unpacked
 * layers. It only prepares directories and describes the mount; the runtime
 * performs it.
 */
export class LocalSnapshotter implements Snapshotter {
  private readonly trash: DirTrash | undefined;
  /**
   * The records this instance wrote or read, by key. A record is written once,
   * when its snapshot is made, and never changed; the entry goes when the
   * snapshot is removed. A start reads its snapshot's mounts from here instead
   * of the file (four thread-pool round trips and a parse per start).
   */
  private readonly records = new Map<string, SnapshotRecord>();
  /** Removals begun so far: a read that a removal overlapped caches nothing. */
  private removals = 0;

  constructor(private readonly options: LocalSnapshotterOptions) {
    if (options.trashDir) {
      this.trash = new DirTrash({
        dir: options.trashDir,
        failpoint: 'image.snapshot.after-trash',
        ...(options.log && { log: options.log }),
      });
    }
  }

  /**
   * Starts removing what an earlier instance left in the trash (a crash, or a
   * stop before its removals ended); {@link settled} waits for it.
   */
  sweep(): void {
    void this.trash?.sweep();
  }

  /** Settles once every background removal has ended. */
  async settled(): Promise<void> {
    await this.trash?.settled();
  }

  /** @inheritdoc */
  async prepare(key: string, image: string, opts: CallOptions = {}): Promise<Mount[]> {
    validateSnapshotKey(key);
    throwIfAborted(opts.signal);
    return this.prepareFrom(key, await this.options.resolveImage(image, opts), opts);
  }

  /** Like {@link prepare}, from an image already resolved. @throws AlreadyExists; InvalidArgument. */
  async prepareFrom(key: string, img: Image, opts: CallOptions = {}): Promise<Mount[]> {
    validateSnapshotKey(key);
    throwIfAborted(opts.signal);
    const dir = this.dirOf(key);
    // Each snapshot (its upper directory takes what the container writes) in a block group of its own.
    await spreadSubdirectories(this.options.dir, 0o777);
    // Its directories and record are made synchronously (four small file operations on the create path, each a
    // thread-pool trip queued behind every other file operation of a busy daemon when made asynchronously).
    try {
      mkdirSync(dir);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) {
        throw alreadyExists(`snapshot ${key} already exists`, { details: { key } });
      }
      if (!isErrno(err, 'ENOENT')) throw fromSystemError(err, `cannot create snapshot ${key}`);
      // The snapshots' directory removed under the daemon: made again.
      try {
        mkdirSync(this.options.dir, { recursive: true });
        mkdirSync(dir);
      } catch (again) {
        throw fromSystemError(again, `cannot create snapshot ${key}`);
      }
    }
    const record: SnapshotRecord = { key, image: img.id, layers: [...img.layers], created: new Date().toISOString() };
    try {
      mkdirSync(join(dir, 'upper'), { mode: 0o755 });
      mkdirSync(join(dir, 'work'), { mode: 0o700 });
      writeFileAtomicSync(join(dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw fromSystemError(err, `cannot create snapshot ${key}`);
    }
    this.records.set(key, record);
    return this.mountsOf(record);
  }

  /** @inheritdoc */
  async mounts(key: string, opts: CallOptions = {}): Promise<Mount[]> {
    validateSnapshotKey(key);
    throwIfAborted(opts.signal);
    return this.mountsOf(this.recordSync(key));
  }

  /** @inheritdoc */
  async removeSnapshot(key: string, opts: CallOptions = {}): Promise<void> {
    await this.remove(key, opts);
  }

  /** Like {@link removeSnapshot}, resolving with the record of what was removed (if anything). */
  async remove(key: string, opts: CallOptions = {}): Promise<SnapshotRecord | undefined> {
    validateSnapshotKey(key);
    throwIfAborted(opts.signal);
    let record: SnapshotRecord | undefined;
    try {
      record = this.recordSync(key);
    } catch {
      record = undefined; // a half-made snapshot without a record still gets removed
    }
    this.removals += 1;
    this.records.delete(key);
    try {
      // Renamed into the trash (the key is free at once); the files go behind the call.
      if (!this.trash?.take(this.dirOf(key), key)) await rm(this.dirOf(key), { recursive: true, force: true });
    } catch (err) {
      throw fromSystemError(err, `cannot remove snapshot ${key}`);
    } finally {
      this.removals += 1; // a read begun while the files went sees this one too
    }
    return record;
  }

  /** Records of every snapshot. */
  async list(): Promise<SnapshotRecord[]> {
    let keys: string[];
    try {
      keys = await readdir(this.options.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw fromSystemError(err, 'cannot list snapshots');
    }
    const out: SnapshotRecord[] = [];
    for (const key of keys.filter((k) => KEY.test(k)).sort()) {
      try {
        out.push(await this.record(key));
      } catch {
        // half-made or being removed: it holds no image
      }
    }
    return out;
  }

  /** The record of snapshot `key` (a copy: the caller may change it). @throws NotFound. */
  async record(key: string): Promise<SnapshotRecord> {
    const known = this.records.get(key);
    if (known) return { ...known, layers: [...known.layers] };
    const removals = this.removals;
    let text: string;
    try {
      text = await readFile(join(this.dirOf(key), RECORD), 'utf8');
    } catch (err) {
      throw this.readError(key, err);
    }
    const record = this.parseRecord(key, text);
    // Not kept when a removal began meanwhile: it may be this snapshot's, whose entry is gone.
    if (this.removals === removals) this.records.set(key, { ...record, layers: [...record.layers] });
    return record;
  }

  /**
   * {@link record}, read synchronously when not already known: one small file on a start's path
   * (an asynchronous read is four thread-pool trips: open, stat, read, close). No removal can overlap it.
   */
  recordSync(key: string): SnapshotRecord {
    const known = this.records.get(key);
    if (known) return { ...known, layers: [...known.layers] };
    let text: string;
    try {
      text = readFileSync(join(this.dirOf(key), RECORD), 'utf8');
    } catch (err) {
      throw this.readError(key, err);
    }
    const record = this.parseRecord(key, text);
    this.records.set(key, { ...record, layers: [...record.layers] });
    return record;
  }

  private readError(key: string, err: unknown): Error {
    if (isErrno(err, 'ENOENT')) return notFound(`no such snapshot: ${key}`, { cause: err, details: { key } });
    return fromSystemError(err, `cannot read snapshot ${key}`);
  }

  private parseRecord(key: string, text: string): SnapshotRecord {
    try {
      return JSON.parse(text) as SnapshotRecord;
    } catch (err) {
      throw internal(`corrupt snapshot record of ${key}`, { cause: err });
    }
  }

  private dirOf(key: string): string {
    return join(this.options.dir, key);
  }

  private mountsOf(record: SnapshotRecord): Mount[] {
    const dir = this.dirOf(record.key);
    const lower = [...record.layers].reverse().map((id) => join(this.options.layerDir(id), 'fs'));
    return [
      {
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${lower.join(':')}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`],
      },
    ];
  }
}
