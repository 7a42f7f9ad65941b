import { statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromSystemError, internal, notFound, type Descriptor, isErrno } from '@tscr/api';
import { writeFileAtomic } from './fs-util.js';
import { Mutex } from './mutex.js';

/** Annotation naming the reference an index entry stands for (OCI image-layout). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** Annotation marking the entry that keeps an untagged image listed. */
export const UNTAGGED_ANNOTATION = 'io.tscr.image.untagged';
/** Media type of the layout's `index.json`. */
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** One line of the image metadata: a reference (or none) and the manifest it names. */
export interface IndexEntry {
  /** Normalized reference (`docker.io/library/busybox:test`); absent for an untagged image. */
  ref?: string;
  /** The image manifest the entry points at. */
  manifest: Descriptor;
}

interface IndexJson {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/**
 * The image metadata — which references point at which manifests — kept
 * as the OCI layout's `index.json`. There is one descriptor per reference
 * (annotated with `org.opencontainers.image.ref.name`), and one descriptor
 * annotated {@link UNTAGGED_ANNOTATION} for each image without references,
 * so it still lists. Changes are serialized by an in-process mutex and
 * written atomically.
 */
export class ImageIndex {
  /** Path of `index.json`. */
  readonly file: string;
  private readonly mutex = new Mutex();
  /** The entries last read, with the identity (inode, size, mtime) of the file they were read from. */
  private cached: { stamp: string; entries: IndexEntry[] } | undefined;

  constructor(file: string) {
    this.file = file;
  }

  /**
   * Every entry, in file order. A missing file is an empty index. The file
   * is parsed again only when it changed (every write replaces it, so its
   * inode changes): a look-up on the run path costs one stat, not a read.
   */
  async entries(): Promise<IndexEntry[]> {
    const stamp = this.stamp();
    if (stamp === undefined) return [];
    if (this.cached?.stamp === stamp) return [...this.cached.entries];
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw fromSystemError(err, `cannot read ${this.file}`);
    }
    let parsed: IndexJson;
    try {
      parsed = JSON.parse(text) as IndexJson;
    } catch (err) {
      throw internal(`corrupt image index ${this.file}`, { cause: err });
    }
    const entries = (parsed.manifests ?? []).map(fromDescriptor);
    if (this.stamp() === stamp) this.cached = { stamp, entries };
    return [...entries];
  }

  /** The file's identity; undefined when it does not exist. */
  private stamp(): string | undefined {
    try {
      const st = statSync(this.file, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw fromSystemError(err, `cannot read ${this.file}`);
    }
  }

  /** The manifest digest `ref` points at, or undefined. */
  async lookup(ref: string): Promise<Descriptor | undefined> {
    return (await this.entries()).find((e) => e.ref === ref)?.manifest;
  }

  /**
   * Runs `fn` on the current entries and writes what it returns, with no
   * other change in between. Resolves with `fn`'s result.
   */
  update<T>(fn: (entries: IndexEntry[]) => { entries: IndexEntry[]; result: T }): Promise<T> {
    return this.mutex.run(async () => {
      const { entries, result } = fn(await this.entries());
      await this.write(entries);
      return result;
    });
  }

  /**
   * Points `ref` at `manifest`. An image that loses its last reference this
   * way stays, untagged. Resolves with the manifest digest `ref` named before.
   */
  tag(ref: string, manifest: Descriptor): Promise<string | undefined> {
    return this.update((entries) => {
      const previous = entries.find((e) => e.ref === ref)?.manifest.digest;
      let next = entries.filter(
        (e) => e.ref !== ref && !(e.ref === undefined && e.manifest.digest === manifest.digest),
      );
      next.push({ ref, manifest: plain(manifest) });
      if (previous !== undefined && previous !== manifest.digest) next = keepListed(next, entries, previous);
      return { entries: next, result: previous };
    });
  }

  /**
   * Removes `ref`. With `keepImage`, an image left without references stays
   * listed as untagged; otherwise it drops out of the index.
   * @throws NotFound when `ref` is not in the index.
   */
  untag(ref: string, options: { keepImage?: boolean } = {}): Promise<string> {
    return this.update((entries) => {
      const found = entries.find((e) => e.ref === ref);
      if (!found) throw notFound(`no such image: ${ref}`, { details: { ref } });
      let next = entries.filter((e) => e.ref !== ref);
      if (options.keepImage) next = keepListed(next, entries, found.manifest.digest);
      return { entries: next, result: found.manifest.digest };
    });
  }

  /** Lists `manifest` as an untagged image unless some entry already names it. */
  addUntagged(manifest: Descriptor): Promise<void> {
    return this.update((entries) => {
      if (entries.some((e) => e.manifest.digest === manifest.digest)) return { entries, result: undefined };
      return { entries: [...entries, { manifest: plain(manifest) }], result: undefined };
    });
  }

  /** Drops every entry naming `manifestDigest`; resolves with the references removed. */
  removeImage(manifestDigest: string): Promise<string[]> {
    return this.update((entries) => {
      const gone = entries.filter((e) => e.manifest.digest === manifestDigest);
      return {
        entries: entries.filter((e) => e.manifest.digest !== manifestDigest),
        result: gone.flatMap((e) => (e.ref === undefined ? [] : [e.ref])),
      };
    });
  }

  private async write(entries: IndexEntry[]): Promise<void> {
    const doc: IndexJson = { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: entries.map(toDescriptor) };
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(doc, null, 2)}\n`);
  }
}

/** Adds an untagged entry for `digest` when `next` no longer names it but `before` did. */
function keepListed(next: IndexEntry[], before: IndexEntry[], digest: string): IndexEntry[] {
  if (next.some((e) => e.manifest.digest === digest)) return next;
  const old = before.find((e) => e.manifest.digest === digest);
  return old ? [...next, { manifest: old.manifest }] : next;
}

function plain(d: Descriptor): Descriptor {
  const { annotations: _ignored, ...rest } = d;
  return rest;
}

function fromDescriptor(d: Descriptor): IndexEntry {
  const { annotations = {}, ...manifest } = d;
  const { [REF_NAME_ANNOTATION]: ref, [UNTAGGED_ANNOTATION]: _untagged, ...others } = annotations;
  const m: Descriptor = Object.keys(others).length ? { ...manifest, annotations: others } : manifest;
  return ref === undefined ? { manifest: m } : { ref, manifest: m };
}

function toDescriptor(e: IndexEntry): Descriptor {
  const annotations: Record<string, string> = { ...e.manifest.annotations };
  if (e.ref === undefined) annotations[UNTAGGED_ANNOTATION] = 'true';
  else annotations[REF_NAME_ANNOTATION] = e.ref;
  return { mediaType: e.manifest.mediaType, digest: e.manifest.digest, size: e.manifest.size, annotations };
}
