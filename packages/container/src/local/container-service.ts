import { setMaxListeners } from 'node:events';
import { readdir, rm } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { join } from 'node:path';
import {
  DirTrash,
  failedPrecondition,
  failpoint,
  isFailedPrecondition,
  traced,
  traceSince,
  tracing,
  isNotFound,
  notFound,
  type ContainerInfo,
  type ContainerSummary,
  type ExitStatus,
  type Image,
  type LogEntry,
} from '@tscr/api';
import type { TaskState } from '@tscr/runtime';
import { readLogs as readRuntimeLogs } from '@tscr/runtime/local';
import type {
  AttachOptions,
  CallOptions,
  CommitOptions,
  ContainerService,
  CreateContainerRequest,
  ExecConfig,
  ExecInfo,
  LogsOptions,
  OutputChunk,
  StartExecOptions,
  StdioAttachOptions,
  TerminalSize,
  WaitCondition,
} from '../types.js';
import { commitContainer } from './commit.js';
import { ID_PATTERN, createContainer, lookupContainer } from './create.js';
import { KeyedMutex } from './keyed-mutex.js';
import { type ControlContext, LocalContainerControl } from './control.js';
import { connectNetwork, disconnectNetwork } from './network-connect.js';
import { attachNetwork, liveNetworkSettings } from './networking.js';
import { reconcileEndpoints } from './network-reconcile.js';
import { Lifecycle, waitFor } from './lifecycle.js';
import { attachContainer, readContainerLogs, type LogReader } from './output.js';
import { exitStatusOf, nowRfc3339Nano, startFailureExitCode, toSummary } from './records.js';
import { runtimeProbe } from './health.js';
import { Supervisor } from './supervisor.js';
import { buildTaskSpec } from './task-spec.js';
import { assertNotOwned, sharedNamespaces } from './namespaces.js';
import { StdioAttacher } from './attach-stdio.js';
import { ExecService } from './exec-service.js';
import { imageLayersOf, startMountSpecs } from './volumes.js';
import type { LocalContainerServiceOptions } from './options.js';

export type { LocalContainerServiceOptions };

const DEFAULT_STOP_TIMEOUT = 10;

/**
 * Newest first, then by ID. Plain code-unit order: the timestamps (RFC 3339, UTC) and IDs are ASCII,
 * and `localeCompare` would load ICU's collation data into the daemon for nothing.
 */
function newestFirst(a: ContainerInfo, b: ContainerInfo): number {
  if (a.created !== b.created) return a.created < b.created ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Docker-shaped containers over the image, runtime, network and volume
 * layers. Operations on one container are serialized; a background watcher
 * per running container records its exit.
 */
export class LocalContainerService implements ContainerService {
  private readonly lock = new KeyedMutex();
  private readonly lifecycle = new Lifecycle();
  /** Per running container: settles once its exit has been handled. */
  private readonly watchers = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly log: (message: string) => void;
  /** Restart policies and healthchecks. */
  private readonly supervisor: Supervisor;

  /** update, pause, top, stats, rename and the filesystem calls (control.ts). */
  private readonly controlContext: ControlContext;
  private readonly control: LocalContainerControl;
  private readonly stdio: StdioAttacher;
  private readonly execs: ExecService;
  /** Removed containers' directories, deleted behind the call (`<containersDir>/.trash`). */
  private readonly trash: DirTrash;

  constructor(private readonly o: LocalContainerServiceOptions) {
    // Every running container's exit watcher listens on it: hundreds of listeners are expected, not a leak.
    setMaxListeners(0, this.shutdown.signal);
    this.log = o.logger ?? ((m) => console.error(m));
    this.trash = new DirTrash({
      dir: join(o.containersDir, '.trash'),
      failpoint: 'container.remove.after-trash',
      log: this.log,
    });
    this.controlContext = {
      o,
      lock: this.lock,
      resolve: (ref) => this.resolve(ref),
      publish: (action, info, extra) => this.publish(action, info, extra),
    };
    this.control = new LocalContainerControl(this.controlContext);
    this.supervisor = new Supervisor({
      store: o.store,
      exec: o.probe ?? runtimeProbe(o.runtime),
      publish: (action, info, extra) => this.publish(action, info, extra),
      log: this.log,
    });
    this.stdio = new StdioAttacher(o.runtime);
    this.execs = new ExecService(o.runtime, (ref) => this.resolve(ref));
  }

  async create(req: CreateContainerRequest, opts: CallOptions = {}): Promise<{ id: string; warnings: string[] }> {
    const t0 = performance.now();
    const info = await createContainer(this.o, req, opts, this.log);
    this.publish('create', info);
    traceSince('container.create', info.id, t0);
    return { id: info.id, warnings: [] };
  }

  /** As `ContainerCommitter.commit`. Needs an image layer with `diff` and `createImage` (else Unimplemented). */
  async commit(ref: string, opts: CommitOptions = {}): Promise<Image> {
    const info = this.resolve(ref);
    const image = await this.lock.run(info.id, () =>
      commitContainer({ images: this.o.images, runtime: this.o.runtime }, this.resolve(info.id), opts),
    );
    this.publish('commit', info, { comment: opts.comment ?? '', imageID: image.id });
    return image;
  }

  async start(ref: string, _opts: CallOptions = {}): Promise<void> {
    const { id } = this.resolve(ref);
    await traced('container.start', id, () => this.lock.run(id, () => this.startLocked(id, true)));
  }

  async stop(ref: string, opts: CallOptions & { timeout?: number } = {}): Promise<void> {
    const info = this.resolve(ref);
    this.markStopped(info.id);
    if (!info.state.running) return;
    const timeout = opts.timeout ?? info.config.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
    await this.signal(info.id, info.config.stopSignal || 'SIGTERM');
    failpoint('container.stop.after-signal');
    const exited = this.exitHandled(info.id);
    if (timeout >= 0) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeout * 1000)));
      const timedOut = await Promise.race([exited.then(() => false), expired]);
      clearTimeout(timer);
      if (timedOut) await this.signal(info.id, 'SIGKILL');
    }
    await exited;
    this.publish('stop', info);
  }

  async kill(ref: string, signal = 'SIGKILL', opts: CallOptions = {}): Promise<void> {
    const info = this.resolve(ref);
    const notRunning = () => failedPrecondition(`container ${info.id} is not running`, { details: { id: info.id } });
    if (!info.state.running) {
      // A container waiting to be restarted: SIGKILL or its stop signal ends the wait.
      if (info.state.status === 'restarting' && this.endsRun(info, signal)) return this.markStopped(info.id);
      throw notRunning();
    }
    if (this.endsRun(info, signal)) this.markStopped(info.id);
    try {
      await this.o.runtime.kill(info.id, signal, opts);
    } catch (err) {
      if (isFailedPrecondition(err) || isNotFound(err)) throw notRunning();
      throw err;
    }
    this.publish('kill', info, { signal });
  }

  wait(ref: string, opts: CallOptions & { condition?: WaitCondition } = {}): Promise<ExitStatus> {
    let info: ContainerInfo;
    try {
      info = this.resolve(ref);
    } catch (err) {
      return Promise.reject(err);
    }
    return waitFor(this.lifecycle, info, opts.condition ?? 'not-running', opts.signal);
  }

  async remove(ref: string, opts: CallOptions & { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const { id } = this.resolve(ref);
    return traced('container.remove', id, () => this.removeOne(id, opts));
  }

  private async removeOne(id: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    assertNotOwned(this.resolve(id), 'remove', opts.force);
    this.supervisor.cancelRestart(id);
    for (;;) {
      const info = this.o.store.get(id);
      if (!info) return;
      if (info.state.running) {
        if (!opts.force) {
          throw failedPrecondition(
            `cannot remove container "/${info.name}": container is running: stop the container before removing or force remove`,
            { details: { id } },
          );
        }
        await this.signal(id, 'SIGKILL');
        await this.exitHandled(id);
      }
      const done = await this.lock.run(id, async () => {
        const current = this.o.store.get(id);
        if (!current) return true;
        if (current.state.running) return false;
        await this.removeLocked(id, undefined, opts.volumes === true);
        return true;
      });
      if (done) return;
    }
  }

  async list(opts: CallOptions & { all?: boolean } = {}): Promise<ContainerSummary[]> {
    const now = Date.now();
    return this.o.store
      .list({ active: !opts.all })
      .sort(newestFirst)
      .map((i) => toSummary(i, now));
  }

  async inspect(ref: string, _opts: CallOptions = {}): Promise<ContainerInfo> {
    const info = this.resolve(ref);
    const attachment = info.state.running
      ? await this.o.networks.attachment(info.id).catch(() => undefined)
      : undefined;
    return { ...info, networkSettings: liveNetworkSettings(info, attachment) };
  }

  async *logs(ref: string, opts: LogsOptions = {}): AsyncGenerator<LogEntry> {
    const info = this.resolve(ref);
    yield* readContainerLogs(info, this.logReader(), this.lifecycle, opts);
  }

  async *attach(ref: string, opts: AttachOptions = {}): AsyncGenerator<LogEntry> {
    const info = this.resolve(ref);
    yield* attachContainer(info, this.logReader(), this.lifecycle, opts);
  }

  /**
   * Reconciles records with the runtime after a daemon (re)start: records
   * exits that happened meanwhile, re-arms watchers of running containers,
   * finishes interrupted removals and deletes leftovers of interrupted creates.
   */
  async recover(opts: CallOptions = {}): Promise<void> {
    void this.trash.sweep(); // directories of removed containers a crash left (names are never reused)
    const tasks = new Map((await this.o.runtime.list(opts)).map((t) => [t.id, t]));
    await Promise.all(
      this.o.store.list().map((info) => this.lock.run(info.id, () => this.recoverOne(info.id, tasks.get(info.id)))),
    );
    const entries = await readdir(this.o.containersDir).catch(() => [] as string[]);
    const live = (id: string) => ['running', 'paused'].includes(tasks.get(id)?.status ?? '');
    for (const entry of entries) {
      if (!ID_PATTERN.test(entry) || this.o.store.get(entry)) continue;
      if (live(entry)) {
        this.log(`container ${entry} runs but has no record (the state database lost it): left running, not managed`);
        continue;
      }
      this.log(`removing leftovers of container ${entry} (interrupted create)`);
      await this.o.runtime.delete(entry, { force: true }).catch(() => undefined);
      await this.o.networks.detach(entry).catch(() => undefined);
      await this.o.images
        .removeSnapshot(entry)
        .catch((e: unknown) => this.log(`remove snapshot ${entry}: ${messageOf(e)}`));
      await this.o.volumes
        .release(entry, { removeAnonymous: true })
        .catch((e: unknown) => this.log(`release volumes of ${entry}: ${messageOf(e)}`));
      await rm(join(this.o.containersDir, entry), { recursive: true, force: true });
    }
    // Tasks of containers with neither record nor directory: a removal cut off after the directory went.
    for (const [id] of tasks) {
      if (!ID_PATTERN.test(id) || this.o.store.get(id) || entries.includes(id)) continue;
      if (live(id)) {
        this.log(`task ${id} runs but no container record or directory names it: left running, not managed`);
        continue;
      }
      await this.o.runtime.delete(id, { force: true }).catch(() => undefined);
      await this.o.networks.detach(id).catch(() => undefined);
    }
    // Restart policies resume: containers that died while the daemon was down, or were waiting to restart.
    for (const info of this.o.store.list()) {
      if (info.state.running || this.supervisor.restartPending(info.id)) continue;
      if (!this.supervisor.restartAtDaemonStart(info)) continue;
      void this.lock
        .run(info.id, async () => {
          const current = this.o.store.get(info.id);
          if (!current || current.state.running) return;
          if (current.manuallyStopped) this.o.store.update({ ...current, manuallyStopped: false });
          await this.startLocked(info.id, false);
        })
        .catch((err: unknown) => this.log(`restart of container ${info.id} at daemon start: ${messageOf(err)}`));
    }
  }

  /** Stops the background watchers; containers keep running (a later `recover` picks them up). */
  update: LocalContainerControl['update'] = (ref, resources, opts) => this.control.update(ref, resources, opts);
  pause: LocalContainerControl['pause'] = (ref, opts) => this.control.pause(ref, opts);
  unpause: LocalContainerControl['unpause'] = (ref, opts) => this.control.unpause(ref, opts);
  rename: LocalContainerControl['rename'] = (ref, name, opts) => this.control.rename(ref, name, opts);
  connectNetwork: ContainerService['connectNetwork'] = (ref, network, opts) =>
    connectNetwork(this.controlContext, ref, network, opts);
  disconnectNetwork: ContainerService['disconnectNetwork'] = (ref, network, opts) =>
    disconnectNetwork(this.controlContext, ref, network, opts);
  top: LocalContainerControl['top'] = (ref, opts) => this.control.top(ref, opts);
  stats: LocalContainerControl['stats'] = (ref, opts) => this.control.stats(ref, opts);
  changes: LocalContainerControl['changes'] = (ref, opts) => this.control.changes(ref, opts);
  export: LocalContainerControl['export'] = (ref, opts) => this.control.export(ref, opts);
  statPath: LocalContainerControl['statPath'] = (ref, path, opts) => this.control.statPath(ref, path, opts);
  getArchive: LocalContainerControl['getArchive'] = (ref, path, opts) => this.control.getArchive(ref, path, opts);
  putArchive: LocalContainerControl['putArchive'] = (ref, path, tar, opts) =>
    this.control.putArchive(ref, path, tar, opts);

  /** Stops it if running (see {@link stop}), then starts it. */
  async restart(ref: string, opts: CallOptions & { timeout?: number } = {}): Promise<void> {
    const info = this.resolve(ref);
    await this.stop(info.id, opts);
    await this.start(info.id, opts);
    this.publish('restart', info);
  }

  async *attachStdio(ref: string, opts: StdioAttachOptions = {}): AsyncGenerator<OutputChunk> {
    yield* this.stdio.attach(this.resolve(ref), opts);
  }

  async resize(ref: string, size: TerminalSize, opts: CallOptions = {}): Promise<void> {
    const info = this.resolve(ref);
    if (!info.config.tty) {
      throw failedPrecondition(`container ${info.id} has no TTY`, { details: { reason: 'NoTerminal', id: info.id } });
    }
    await this.o.runtime.resize(info.id, size, opts);
  }

  async createExec(ref: string, config: ExecConfig, _opts: CallOptions = {}): Promise<{ id: string }> {
    return this.execs.create(ref, config);
  }

  startExec(execId: string, opts: StartExecOptions = {}): AsyncIterable<OutputChunk> {
    return this.execs.start(execId, opts);
  }

  async inspectExec(execId: string, _opts: CallOptions = {}): Promise<ExecInfo> {
    return this.execs.inspect(execId);
  }

  resizeExec(execId: string, size: TerminalSize, _opts: CallOptions = {}): Promise<void> {
    return this.execs.resize(execId, size);
  }

  close(): void {
    this.shutdown.abort(new Error('container service closed'));
    this.supervisor.close();
  }

  /** Settles once removed containers' directories are gone (a graceful stop waits for it). */
  settled(): Promise<void> {
    return this.trash.settled();
  }

  /** A record by full ID, name or unique ID prefix. @throws NotFound; InvalidArgument when ambiguous. */
  private resolve(ref: string): ContainerInfo {
    return lookupContainer(this.o.store, ref);
  }

  /** `manual`: a user's start (resets the restart policy's count and back-off), not the policy's. */
  private async startLocked(id: string, manual: boolean): Promise<void> {
    const info = this.o.store.get(id);
    if (!info) throw notFound(`no such container: ${id}`, { details: { id } });
    if (info.state.running) return;
    if (manual) {
      this.supervisor.reset(id);
      info.restartCount = 0;
      info.manuallyStopped = false;
    } else if (info.manuallyStopped) return;
    if (info.state.status === 'removing' || info.state.status === 'dead') {
      throw failedPrecondition(`container ${id} is marked for removal and cannot be started`, { details: { id } });
    }
    const since = nowRfc3339Nano();
    let attached = false;
    let mounting = false;
    let created = false;
    let task: TaskState;
    try {
      const [rootfs] = await traced('container.start.prepare', id, () =>
        Promise.all([
          this.o.images.mounts(id),
          // A task left over from an earlier run of this container.
          this.o.runtime.delete(id, { force: true }).catch(() => undefined),
        ]),
      );
      mounting = true;
      const mounts = await traced('container.start.volumes', id, () =>
        this.o.volumes.resolveMounts(id, startMountSpecs(info), { imageLayers: imageLayersOf(rootfs), start: true }),
      );
      attached = true;
      const net = await traced('container.start.network', id, () => attachNetwork(this.o, info, mounts));
      const network = net.attachment;
      failpoint('container.start.after-network');
      const shared = sharedNamespaces((ref) => this.resolve(ref), info.hostConfig);
      // Nothing to do between the create and the start unless attaches wait to be joined before the
      // process runs: the runtime may then release it as soon as it is ready (see TaskRuntime.create).
      // An interactive attach that comes after this point is joined as to a running container (clients
      // start only once their attach is acknowledged; the log-following attach misses nothing either way).
      const startEarly = !this.stdio.waitingFor(id);
      await traced('container.start.task-create', id, () =>
        this.o.runtime.create(
          buildTaskSpec(info, rootfs, [...mounts, ...net.mounts], network, this.o.defaultRuntime, shared),
          { startEarly },
        ),
      );
      created = true;
      failpoint('container.start.after-task-create');
      await this.stdio.beforeStart(id);
      task = await traced('container.start.task-start', id, () => this.o.runtime.start(id));
      failpoint('container.start.after-task-start');
    } catch (err) {
      if (created) await this.o.runtime.delete(id, { force: true }).catch(() => undefined);
      if (attached) await this.o.networks.detach(id).catch(() => undefined);
      if (mounting) await this.unmountVolumes(id);
      await this.recordStartFailure(id, err);
      throw err;
    }
    info.state = {
      ...info.state,
      status: 'running',
      running: true,
      pid: task.pid,
      exitCode: 0,
      error: '',
      oomKilled: false,
      startedAt: new Date().toISOString(),
      finishedAt: '',
    };
    const health = this.supervisor.initialHealth(info);
    if (health) info.state.health = health;
    else delete info.state.health;
    if (!manual) info.restartCount += 1;
    info.rootfs = task.rootfs;
    const t0 = performance.now();
    this.o.store.update(info);
    traceSince('container.start.record', id, t0);
    this.lifecycle.emit(id, { kind: 'start', since });
    this.publish('start', info);
    this.watch(id);
    this.supervisor.running(info);
  }

  /** A failed start: the container keeps its status, with the exit code and error Docker would show. */
  private async recordStartFailure(id: string, err: unknown): Promise<void> {
    const status: ExitStatus = {
      exitCode: startFailureExitCode(err),
      exitedAt: new Date().toISOString(),
      error: messageOf(err),
    };
    const info = this.o.store.get(id);
    if (!info) return;
    info.state = {
      ...info.state,
      ...(info.state.status === 'restarting' && { status: 'exited' as const, finishedAt: status.exitedAt }),
      exitCode: status.exitCode,
      error: status.error!,
    };
    this.o.store.update(info);
    this.lifecycle.emit(id, { kind: 'exit', status });
    if (info.hostConfig.autoRemove) {
      await this.removeLocked(id, status).catch((e: unknown) => this.log(`auto-remove ${id}: ${messageOf(e)}`));
    }
  }

  /** Arms the background watcher that records the exit of a running container. */
  private watch(id: string): Promise<void> {
    const signal = this.shutdown.signal;
    const done = (async () => {
      let status: ExitStatus;
      try {
        status = await this.o.runtime.wait(id, { signal });
        if (tracing()) traceSince('container.exit.noticed', id, exitedAtMs(status.exitedAt));
      } catch (err) {
        if (signal.aborted) return;
        if (!isNotFound(err)) throw err;
        status = { exitCode: 255, exitedAt: new Date().toISOString(), error: 'the task disappeared' };
      }
      if (signal.aborted) return;
      await traced('container.exit', id, () => this.lock.run(id, () => this.handleExit(id, status)));
    })()
      .catch((err: unknown) => this.log(`exit handling of container ${id}: ${messageOf(err)}`))
      .finally(() => {
        if (this.watchers.get(id) === done) this.watchers.delete(id);
      });
    this.watchers.set(id, done);
    return done;
  }

  /** Settles once the running container's exit has been recorded. */
  private exitHandled(id: string): Promise<void> {
    return this.watchers.get(id) ?? this.watch(id);
  }

  /** Sends a signal, ignoring a task that has already stopped. */
  private async signal(id: string, signal: string): Promise<void> {
    try {
      await this.o.runtime.kill(id, signal);
    } catch (err) {
      if (!isFailedPrecondition(err) && !isNotFound(err)) throw err;
    }
    if (this.o.store.get(id)?.state.paused) await this.o.runtime.resume(id).catch(() => undefined); // frozen tasks take signals once thawed
  }

  /** Plug-in volumes mounted for a run are unmounted when it ends; a failure is kept and retried at removal. */
  private async unmountVolumes(id: string): Promise<void> {
    await this.o.volumes.unmount?.(id).catch((err: unknown) => this.log(`unmount volumes of ${id}: ${messageOf(err)}`));
  }

  /** Records an exit, releases the task and network, and removes an `autoRemove` container. */
  private async handleExit(id: string, status: ExitStatus): Promise<void> {
    const info = this.o.store.get(id);
    if (!info?.state.running) return;
    this.supervisor.exited(id);
    info.state = {
      ...info.state,
      status: 'exited',
      running: false,
      pid: 0,
      exitCode: status.exitCode,
      oomKilled: Boolean(status.oomKilled),
      paused: false,
      error: status.error ?? '',
      finishedAt: status.exitedAt || new Date().toISOString(),
    };
    info.rootfs = '';
    const t0 = performance.now();
    this.o.store.update(info);
    traceSince('container.exit.record', id, t0);
    if (status.oomKilled) this.publish('oom', info);
    this.publish('die', info, { exitCode: String(status.exitCode) });
    this.lifecycle.emit(id, { kind: 'exit', status });
    // Let the answers the exit settled (waits, attach streams' ends) go out first: the task's delete below
    // runs mostly synchronously and would hold their writes back until it ends.
    await setImmediate();
    await traced('container.exit.task-delete', id, () =>
      this.o.runtime.delete(id, { force: true }).catch((err: unknown) => {
        if (!isNotFound(err)) this.log(`delete task ${id}: ${messageOf(err)}`);
      }),
    );
    await traced('container.exit.network', id, () =>
      this.o.networks.detach(id).catch((err: unknown) => this.log(`detach network of ${id}: ${messageOf(err)}`)),
    );
    await this.unmountVolumes(id);
    if (info.hostConfig.autoRemove) return this.removeLocked(id, status);
    this.scheduleRestart(id);
  }

  /** Shows `restarting` and starts the container again after its back-off, when its policy says so. */
  private scheduleRestart(id: string): void {
    const info = this.o.store.get(id);
    if (!info || info.state.running) return;
    const delay = this.supervisor.afterExit(info, () => {
      void this.lock
        .run(id, () => this.startLocked(id, false))
        .catch((err: unknown) => this.log(`restart of container ${id}: ${messageOf(err)}`));
    });
    if (delay === undefined) return;
    info.state = { ...info.state, status: 'restarting' };
    this.o.store.update(info);
  }

  /** A user stopped it: no policy restart (until a manual start, or for `always` a daemon restart). */
  private markStopped(id: string): void {
    this.supervisor.cancelRestart(id);
    const info = this.o.store.get(id);
    if (!info) return;
    info.manuallyStopped = true;
    if (info.state.status === 'restarting') info.state = { ...info.state, status: 'exited' };
    this.o.store.update(info);
  }

  /** Whether `signal` is SIGKILL or the container's stop signal (Docker then treats the kill as a stop). */
  private endsRun(info: ContainerInfo, signal: string): boolean {
    const norm = (s: string) => s.toUpperCase().replace(/^SIG/, '');
    const sig = norm(signal);
    return sig === 'KILL' || sig === '9' || sig === norm(info.config.stopSignal || 'SIGTERM');
  }

  /** Removes task, snapshot, directory and record of a container that is not running. */
  /** Deletes the container; `removeVolumes` (default: when it is `--rm`) also removes its anonymous volumes. */
  private async removeLocked(id: string, last?: ExitStatus, removeVolumes?: boolean): Promise<void> {
    const info = this.o.store.get(id);
    if (!info) return;
    const removeAnonymous = removeVolumes ?? Boolean(info.hostConfig.autoRemove);
    this.supervisor.reset(id);
    info.state = { ...info.state, status: 'removing' };
    let t0 = performance.now();
    this.o.store.update(info);
    traceSince('container.remove.mark', id, t0);
    failpoint('container.remove.after-mark');
    await traced('container.remove.task-delete', id, () =>
      this.o.runtime.delete(id, { force: true }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      }),
    );
    await traced('container.remove.record-copy', id, async () => this.o.store.settled?.(id));
    await traced('container.remove.files', id, () => {
      this.trash.take(join(this.o.containersDir, id), id); // renamed; its files go behind the call
      return Promise.all([
        this.o.networks.detach(id).catch((err: unknown) => this.log(`detach network of ${id}: ${messageOf(err)}`)),
        this.o.images.removeSnapshot(id), // moved to the image layer's trash, removed behind the call
      ]);
    });
    await traced('container.remove.volumes', id, () => this.o.volumes.release(id, { removeAnonymous }));
    failpoint('container.remove.after-snapshot');
    t0 = performance.now();
    this.o.store.delete(id);
    traceSince('container.remove.record', id, t0);
    this.publish('destroy', info);
    this.lifecycle.emit(id, { kind: 'remove', status: last ?? exitStatusOf(info) });
  }

  private async recoverOne(id: string, task: TaskState | undefined): Promise<void> {
    const info = this.o.store.get(id);
    if (!info) return;
    if (info.state.status === 'removing') return this.removeLocked(id);
    if (info.state.running) {
      if (task?.status === 'running') {
        const status = info.state.paused ? 'paused' : 'running'; // a paused task stays paused across restarts
        if (task.pid !== info.state.pid || info.state.status !== status) {
          info.state = { ...info.state, status, pid: task.pid };
          this.o.store.update(info);
        }
        await reconcileEndpoints(this.o.networks, info, this.log);
        this.watch(id);
        this.supervisor.running(info);
        return;
      }
      const status: ExitStatus = task
        ? await this.o.runtime.wait(id)
        : { exitCode: 255, exitedAt: new Date().toISOString(), error: 'the task was lost while the daemon was down' };
      return this.handleExit(id, status);
    }
    if (task?.status === 'running') {
      info.state = {
        ...info.state,
        status: 'running',
        running: true,
        pid: task.pid,
        startedAt: new Date().toISOString(),
      };
      info.rootfs = task.rootfs;
      const health = this.supervisor.initialHealth(info);
      if (health) info.state.health = health;
      this.o.store.update(info);
      this.lifecycle.emit(id, { kind: 'start', since: nowRfc3339Nano() });
      this.publish('start', info);
      this.watch(id);
      this.supervisor.running(info);
    } else {
      // A start interrupted before its task ran: remove whatever the runtime has of it (half-written bundles too).
      await this.o.runtime.delete(id, { force: true }).catch(() => undefined);
      await this.o.networks.detach(id).catch(() => undefined);
    }
  }

  private logReader(): LogReader {
    return this.o.readLogs ?? readRuntimeLogs;
  }

  private publish(action: string, info: ContainerInfo, extra: Record<string, string> = {}): void {
    const attributes = { ...info.config.labels, name: info.name, image: info.config.image, ...extra };
    this.o.events?.publish({ type: 'container', action, id: info.id, attributes });
  }
}

/** When an exit was recorded, in ms on `performance.now()`'s clock (now, when unknown). */
function exitedAtMs(exitedAt: string): number {
  const at = Date.parse(exitedAt);
  return Number.isNaN(at) ? performance.now() : at - performance.timeOrigin;
}

/** Builds the local container service. Starts nothing until `recover` or a call. */
export function createLocalContainerService(options: LocalContainerServiceOptions): LocalContainerService {
  return new LocalContainerService(options);
}
