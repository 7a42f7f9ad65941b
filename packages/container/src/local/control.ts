import { assertNotOwned } from './namespaces.js';
import type { ContainerInfo, ContainerStats, ContainerTop, FilesystemChange, PathStat, Resources } from '@tscr/api';
import { alreadyExists, failedPrecondition, unimplemented } from '@tscr/api';
import type { ArchiveResult, PutArchiveOptions } from '../control-types.js';
import type { CallOptions } from '../types.js';
import { archiveFromView, exportView, extractIntoView, statInView } from './archive.js';
import type { LocalContainerServiceOptions } from './options.js';
import { layerChanges } from './diff.js';
import { type RootView, runningView, stoppedView, upperDirOf, viewDir } from './fsview.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { normalizeName } from './names.js';
import { sampleStats } from './stats.js';
import { psTable } from './top.js';
import { mergeResources } from './update.js';

/** What the control operations need from the container service. */
export interface ControlContext {
  o: LocalContainerServiceOptions;
  lock: KeyedMutex;
  /** A record by ID, name or prefix. @throws NotFound. */
  resolve(ref: string): ContainerInfo;
  publish(action: string, info: ContainerInfo, extra?: Record<string, string>): void;
}

function notRunning(info: ContainerInfo) {
  return failedPrecondition(`container ${info.id} is not running`, { details: { id: info.id } });
}

/**
 * The local implementation of {@link ContainerControl} (the service's
 * update, pause, top, stats and filesystem calls).
 */
export class LocalContainerControl {
  constructor(private readonly c: ControlContext) {}

  async update(ref: string, resources: Resources, opts: CallOptions = {}): Promise<{ warnings: string[] }> {
    const { id } = this.c.resolve(ref);
    return this.c.lock.run(id, async () => {
      const info = this.c.resolve(id);
      const hostConfig = mergeResources(info.hostConfig, resources);
      if (info.state.running) {
        // A new memory limit keeps the container's swap setting (unlimited stays unlimited).
        const live = { ...resources };
        if (live.memory !== undefined && live.memorySwap === undefined && hostConfig.memorySwap !== undefined) {
          live.memorySwap = hostConfig.memorySwap;
        }
        await this.c.o.runtime.update(id, live, opts);
      }
      info.hostConfig = hostConfig;
      this.c.o.store.update(info);
      this.c.publish('update', info);
      return { warnings: [] };
    });
  }

  async pause(ref: string, opts: CallOptions = {}): Promise<void> {
    const { id } = this.c.resolve(ref);
    await this.c.lock.run(id, async () => {
      const info = this.c.resolve(id);
      if (!info.state.running) throw notRunning(info);
      if (info.state.paused) throw failedPrecondition(`container ${id} is already paused`, { details: { id } });
      await this.c.o.runtime.pause(id, opts);
      info.state = { ...info.state, status: 'paused', paused: true };
      this.c.o.store.update(info);
      this.c.publish('pause', info);
    });
  }

  async unpause(ref: string, opts: CallOptions = {}): Promise<void> {
    const { id } = this.c.resolve(ref);
    await this.c.lock.run(id, async () => {
      const info = this.c.resolve(id);
      if (!info.state.paused) throw failedPrecondition(`container ${id} is not paused`, { details: { id } });
      await this.c.o.runtime.resume(id, opts);
      info.state = { ...info.state, status: info.state.running ? 'running' : info.state.status, paused: false };
      this.c.o.store.update(info);
      this.c.publish('unpause', info);
    });
  }

  async rename(ref: string, newName: string, _opts: CallOptions = {}): Promise<void> {
    const { id } = this.c.resolve(ref);
    assertNotOwned(this.c.resolve(id), 'rename');
    const name = normalizeName(newName);
    await this.c.lock.run(id, async () => {
      const info = this.c.resolve(id);
      const old = info.name;
      if (old === name) return;
      const holder = this.c.o.store.getByName(name);
      if (holder && holder.id !== id) {
        throw alreadyExists(`Conflict. The container name "/${name}" is already in use by container "${holder.id}"`, {
          details: { name },
        });
      }
      this.c.o.store.update({ ...info, name });
      this.c.publish('rename', { ...info, name }, { oldName: `/${old}` });
    });
  }

  async top(ref: string, opts: CallOptions & { psArgs?: string[] } = {}): Promise<ContainerTop> {
    const info = this.c.resolve(ref);
    if (!info.state.running) throw notRunning(info);
    const processes = await this.c.o.runtime.top(info.id, opts);
    return psTable(processes, opts.psArgs);
  }

  async *stats(ref: string, opts: CallOptions & { stream?: boolean } = {}): AsyncGenerator<ContainerStats> {
    const info = this.c.resolve(ref);
    if (!info.state.running) throw notRunning(info);
    yield* sampleStats(this.c.o.runtime, info, opts.stream !== false, opts.signal);
  }

  async changes(ref: string, opts: CallOptions = {}): Promise<FilesystemChange[]> {
    const info = this.c.resolve(ref);
    const layers = upperDirOf(await this.c.o.images.mounts(info.id, opts));
    if (!layers) throw unimplemented('diff needs an overlay snapshot');
    return layerChanges(layers.upper, layers.lowers);
  }

  async *export(ref: string, _opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    yield* this.streamFromView(ref, (view) => exportView(view));
  }

  async statPath(ref: string, path: string, _opts: CallOptions = {}): Promise<PathStat> {
    return this.withView(ref, (view) => statInView(view, path));
  }

  async getArchive(ref: string, path: string, _opts: CallOptions = {}): Promise<ArchiveResult> {
    const stat = await this.withView(ref, (view) => statInView(view, path));
    const tar = this.streamFromView(ref, async (view) => (await archiveFromView(view, path)).tar);
    return { stat, tar };
  }

  async putArchive(
    ref: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    opts: PutArchiveOptions = {},
  ): Promise<void> {
    await this.withView(ref, (view) => extractIntoView(view, path, tar, opts.noOverwriteDirNonDir));
  }

  /**
   * Runs `fn` over the container's root: a running container's live root, or
   * a stopped one's snapshot mounted for the call (under the container's
   * lock, so it cannot start meanwhile).
   */
  private async withView<T>(ref: string, fn: (view: RootView) => Promise<T>): Promise<T> {
    const info = this.c.resolve(ref);
    if (info.state.running) return fn(await runningView(info));
    return this.c.lock.run(info.id, async () => {
      const current = this.c.resolve(info.id);
      if (current.state.running) return fn(await runningView(current));
      const view = await stoppedView(
        current,
        await this.c.o.images.mounts(current.id),
        viewDir(this.c.o.containersDir, current.id),
      );
      try {
        return await fn(view);
      } finally {
        await view.release();
      }
    });
  }

  /** Like {@link withView} for a stream: the view (and the lock) is held until the stream ends. */
  private async *streamFromView(
    ref: string,
    make: (view: RootView) => Promise<AsyncIterable<Uint8Array>>,
  ): AsyncGenerator<Uint8Array> {
    let release!: () => void;
    let acquired!: (view: RootView) => void;
    let failed!: (err: unknown) => void;
    const viewReady = new Promise<RootView>((resolve, reject) => {
      acquired = resolve;
      failed = reject;
    });
    const held = this.withView(
      ref,
      (view) =>
        new Promise<void>((resolve) => {
          release = resolve;
          acquired(view);
        }),
    ).catch((err: unknown) => failed(err));
    const view = await viewReady;
    try {
      for await (const chunk of await make(view)) yield chunk;
    } finally {
      release();
      await held;
    }
  }
}
