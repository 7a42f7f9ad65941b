import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { ExitStatus } from '@tscr/api';
import {
  alreadyExists,
  failedPrecondition,
  fromSystemError,
  invalidArgument,
  isTscrError,
  notFound,
  isErrno,
  spreadSubdirectories,
  throwIfCancelled,
  traced,
  traceSince,
} from '@tscr/api';
import type { Resources } from '@tscr/api';
import type {
  AttachSession,
  CallOptions,
  CreateOptions,
  ExecSession,
  ExecSpec,
  ProcessInfo,
  TaskIO,
  TaskRuntime,
  TaskSpec,
  TaskState,
  TaskStats,
  TaskStatus,
  TerminalSize,
} from '../types.js';
import {
  BUNDLE_FILES,
  listTaskIds,
  processAlive,
  readPid,
  readRecord,
  removeBundle,
  removeRootfsDir,
  writeBundle,
  type TaskRecord,
} from './bundle.js';
import { startMonitor } from './conmon.js';
import { EarlyExecFifo } from './exec-fifo.js';
import { TaskStdio, writeStdioInfo } from './exec-registry.js';
import { ExitWatcher, readExitFile, type ExitRecord } from './exits.js';
import { DEFAULT_LOG_ROTATION, LogRotator } from './log-rotate.js';
import { checkExecutable } from './lookpath.js';
import { mountRootfs, unmountRootfs } from './mount.js';
import { overlayRoot } from './overlay-root.js';
import { OciCli, type OciState } from './oci-cli.js';
import { parseSignal } from './signals.js';
import { buildOciSpec, hostNofileHardLimit, processEnv } from './spec.js';
import { resolveUser } from './user.js';
import { cgroupsOf, cgroupPids } from './cgroups.js';
import { pauseTask, resumeTask, updateTask } from './control.js';
import { readProcesses } from './processes.js';
import { hostCgroupVersion, hostHardLimits } from './resources.js';
import { applyTaskOptions, type HostFacts, readHostFacts, resolveGroupAdd, validateTaskOptions } from './security.js';
import { readTaskStats } from './stats.js';
import { RUNTIME_STATE, TRASHED_EXIT_FILE, TRASHED_SOCKET_LINK, Trash } from './trash.js';

/** Options of {@link createLocalTaskRuntime}. */
export interface LocalTaskRuntimeOptions {
  /**
   * Where bundles (`tasks/<id>/`), exit files (`exits/`), attach socket links
   * (`sockets/`) and each OCI runtime's state (`<runtime>-root/`) live. A new
   * instance over the same directory takes over the tasks of an earlier one.
   */
  stateDir: string;
  /** Runtime used when a TaskSpec names none. Default `runc`. */
  defaultRuntime?: string;
  /** Runtime name → binary. Default `{ runc: '/usr/sbin/runc', crun: '/usr/bin/crun' }`. */
  runtimes?: Record<string, string>;
  /** The monitor binary. Default `/usr/bin/conmon`. */
  conmonPath?: string;
  /** Parent cgroup of every task (`/<cgroupParent>/<id>`). Default `tscr`. */
  cgroupParent?: string;
  /** The stdio relay (attach, TTY exec). Default `$TSCR_RELAY`, else `native/build/tscr-relay` of this package. */
  relayPath?: string;
  /** Where failures of work done behind the calls (removing deleted tasks' state) are reported. */
  log?: (message: string) => void;
}

/** The default runtime name → binary table. */
export const DEFAULT_RUNTIMES: Readonly<Record<string, string>> = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** How long a forced delete waits for a SIGKILLed task's exit code. */
const KILL_WAIT_MS = 10_000;
/** How long delete waits for a live monitor to record the exit of a task that has stopped. */
const MONITOR_WAIT_MS = 2_000;

function checkAborted(opts?: CallOptions): void {
  throwIfCancelled(opts?.signal);
}

/**
 * Runs tasks with conmon + runc/crun. Everything it knows lives under
 * `stateDir`, so it holds no state of its own beyond caches: a new instance
 * finds, kills, waits for and deletes tasks created by an earlier one.
 */
export class LocalTaskRuntime implements TaskRuntime {
  /** Root of all on-disk state. */
  readonly stateDir: string;
  private readonly tasksDir: string;
  private readonly exitsDir: string;
  private readonly socketsDir: string;
  private readonly runtimes: Record<string, string>;
  private readonly defaultRuntime: string;
  private readonly conmonPath: string;
  private readonly cgroupParent: string;
  private readonly clis = new Map<string, OciCli>();
  private readonly exits: ExitWatcher;
  /** Monitor PIDs already read from their bundles (the exit watcher's liveness rounds ask for every task). */
  private readonly monitorPids = new Map<string, number>();
  /** Rotates the logs of running tasks (started by `start`, and by `list` after a restart). */
  private readonly rotator = new LogRotator();
  private dirsReady: Promise<void> | undefined;
  private nofileHardLimit: number | undefined;
  private readonly stdio: TaskStdio;
  /** Removes deleted tasks' runtime state and bundles behind the calls (and what a crash left). */
  private readonly trash: Trash;
  private readonly relayPath: string | undefined;
  private facts: HostFacts | undefined;
  /** Tasks created with `startEarly` whose start has not come yet: their exec fifo reader and init PID. */
  private readonly early = new Map<string, { fifo: EarlyExecFifo; pid: number }>();

  constructor(opts: LocalTaskRuntimeOptions) {
    if (!isAbsolute(opts.stateDir)) throw invalidArgument(`stateDir must be absolute: ${opts.stateDir}`);
    this.stateDir = opts.stateDir;
    this.tasksDir = join(opts.stateDir, 'tasks');
    this.exitsDir = join(opts.stateDir, 'exits');
    this.socketsDir = join(opts.stateDir, 'sockets');
    this.runtimes = { ...DEFAULT_RUNTIMES, ...opts.runtimes };
    this.defaultRuntime = opts.defaultRuntime ?? 'runc';
    this.conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
    this.cgroupParent = opts.cgroupParent ?? 'tscr';
    if (!this.runtimes[this.defaultRuntime]) throw invalidArgument(`unknown default runtime ${this.defaultRuntime}`);
    this.exits = new ExitWatcher(this.exitsDir, (id) => this.monitorAlive(id));
    this.relayPath = opts.relayPath;
    this.trash = new Trash(
      join(opts.stateDir, 'trash'),
      (runtime, recorded) => this.runtimes[runtime ?? this.defaultRuntime] ?? recorded ?? this.runtimes.runc!,
      opts.log ?? ((message) => process.stderr.write(`tscr runtime: ${message}\n`)),
    );
    this.stdio = new TaskStdio({
      execsDir: join(opts.stateDir, 'execs'),
      ...(opts.relayPath ? { relayPath: opts.relayPath } : {}),
      task: async (id) => {
        const rec = await this.record(id);
        const st = await this.state(id);
        const cli = this.cliOf(rec);
        return { status: st.status, pid: st.pid, bundle: st.bundle, runtimeBinary: cli.binary, runtimeRoot: cli.root };
      },
    });
  }

  /** The host's hard RLIMIT_NOFILE, read once. */
  private hostNofileLimit(): number {
    if (this.nofileHardLimit === undefined) this.nofileHardLimit = hostNofileHardLimit();
    return this.nofileHardLimit;
  }

  async create(spec: TaskSpec, opts?: CreateOptions): Promise<TaskState> {
    checkAborted(opts);
    const runtime = this.validate(spec);
    validateTaskOptions(spec, this.hostFacts());
    await this.ensureDirs();
    const cli = this.cli(runtime, this.runtimes[runtime]!);
    const bundle = this.bundle(spec.id);
    const rootfs = join(bundle, BUNDLE_FILES.rootfs);
    await this.trash.settledFor(spec.id); // the cgroups of an earlier task of this ID are gone
    try {
      mkdirSync(bundle); // synchronous, with the bundle's other directories and files (see writeBundle)
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw alreadyExists(`task ${spec.id} already exists`);
      throw fromSystemError(err, `cannot create the bundle of ${spec.id}`);
    }
    const overlay = overlayRoot(spec.rootfs);
    const record: TaskRecord = {
      id: spec.id,
      runtime,
      runtimePath: cli.binary,
      logPath: spec.logPath,
      logRotation: spec.logRotation ?? { ...DEFAULT_LOG_ROTATION },
      rootfsOnHost: !overlay,
    };
    let early: EarlyExecFifo | undefined;
    try {
      let t0 = performance.now();
      mkdirSync(rootfs);
      mkdirSync(join(bundle, RUNTIME_STATE)); // where delete moves runc's state on its way to the trash
      mkdirSync(dirname(spec.logPath), { recursive: true });
      removeStaleExitFile(join(this.exitsDir, spec.id));
      if (!overlay) await mountRootfs(spec.rootfs, rootfs);
      traceSince('runtime.create.dirs', spec.id, t0);
      t0 = performance.now();
      const view = overlay ? overlay.layers : rootfs;
      const user = await resolveUser(view, spec.process.user);
      const extraGids = await resolveGroupAdd(view, spec.security?.groupAdd);
      user.additionalGids = [...new Set([...user.additionalGids, ...extraGids])].filter((g) => g !== user.gid);
      traceSince('runtime.create.spec.user', spec.id, t0);
      const tExec = performance.now();
      await checkExecutable(
        view,
        spec.process.args[0]!,
        processEnv(spec.process.env, user.home),
        spec.process.cwd || '/',
        (spec.mounts ?? []).map((m) => m.destination),
      );
      traceSince('runtime.create.spec.executable', spec.id, tExec);
      const hostNet = spec.network?.mode === 'host';
      const tBuild = performance.now();
      const config = applyTaskOptions(
        buildOciSpec(spec, {
          rootfsPath: rootfs,
          user,
          cgroupParent: this.cgroupParent,
          etcFiles: {
            hostname: join(bundle, BUNDLE_FILES.hostname),
            hosts: join(bundle, BUNDLE_FILES.hosts),
            ...(hostNet ? { resolvConf: join(bundle, BUNDLE_FILES.resolvConf) } : {}),
          },
          nofileHardLimit: this.hostNofileLimit(),
          ...(overlay ? { rootMount: overlay.mount } : {}),
        }),
        spec,
        this.hostFacts(),
      );
      traceSince('runtime.create.spec.build', spec.id, tBuild);
      traceSince('runtime.create.spec', spec.id, t0);
      t0 = performance.now();
      const openStdin = spec.process.openStdin ?? false;
      writeBundle(bundle, record, config);
      writeStdioInfo(bundle, { terminal: spec.process.terminal ?? false, openStdin });
      traceSince('runtime.create.bundle', spec.id, t0);
      early = this.earlyRelease(spec.id, cli, opts);
      const pid = await traced('runtime.create.monitor', spec.id, () =>
        startMonitor({
          conmonPath: this.conmonPath,
          id: spec.id,
          runtimePath: cli.binary,
          runtimeArgs: cli.globalArgs(),
          bundle,
          logPath: spec.logPath,
          exitDir: this.exitsDir,
          socketDir: this.socketsDir,
          terminal: spec.process.terminal ?? false,
          stdin: openStdin,
          leaveStdinOpen: openStdin && (spec.process.terminal || !spec.process.stdinOnce),
          ...(this.relayPath ? { relayPath: this.relayPath } : {}),
        }),
      );
      if (early) {
        early.created(pid);
        this.early.set(spec.id, { fifo: early, pid });
        // How long before the monitor's report the init was released (absent: it had not been yet).
        if (early.releasedAt !== undefined) traceSince('runtime.create.early-lead', spec.id, early.releasedAt);
      }
      return { id: spec.id, status: 'created', pid, bundle, rootfs: rootfsPath(bundle, !overlay, pid) };
    } catch (err) {
      early?.close();
      await this.cleanup(spec.id, cli, false).catch(() => undefined);
      throw fromSystemError(err, `cannot create task ${spec.id}`);
    }
  }

  async start(id: string, opts?: CallOptions): Promise<TaskState> {
    checkAborted(opts);
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      const started = await this.startReleased(id, early.fifo, early.pid, opts);
      if (started) return started;
    }
    let t0 = performance.now();
    const rec = await this.record(id);
    const cli = this.cliOf(rec);
    if (await this.exitOf(id)) throw failedPrecondition(`task ${id} has already run and stopped`);
    const initPid = await readPid(this.bundle(id));
    traceSince('runtime.start.read', id, t0);
    t0 = performance.now();
    try {
      await cli.start(id, initPid);
      traceSince('runtime.start.release', id, t0);
    } catch (err) {
      const st = await this.state(id).catch(() => undefined);
      if (st && st.status !== 'created') {
        const why = err instanceof Error ? `: ${err.message}` : '';
        throw failedPrecondition(`task ${id} is ${st.status}${why}`, { cause: err });
      }
      throw err;
    }
    const exit = await this.exitOf(id);
    if (!exit) this.watchLog(rec);
    return this.stateOf(rec, exit ? 'stopped' : 'running', exit ? 0 : initPid, exit);
  }

  /**
   * The start of a task created with `startEarly`: waits for its init's byte
   * (it has usually come already), and answers as {@link start} does — also
   * for a process that has already exited. Undefined when the init was not
   * released (it died first, or the fifo was never opened): the caller then
   * goes the ordinary way.
   */
  private async startReleased(
    id: string,
    fifo: EarlyExecFifo,
    pid: number,
    opts?: CallOptions,
  ): Promise<TaskState | undefined> {
    const t0 = performance.now();
    const signal = opts?.signal;
    const onAbort = () => fifo.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    const released = await fifo.released();
    signal?.removeEventListener('abort', onAbort);
    fifo.close();
    checkAborted(opts);
    traceSince('runtime.start.early', id, t0);
    if (!released) return undefined;
    const rec = await this.record(id);
    const exit = await this.exitOf(id);
    if (!exit) this.watchLog(rec);
    return this.stateOf(rec, exit ? 'stopped' : 'running', exit ? 0 : pid, exit);
  }

  /**
   * The reader that releases the init of a task created with `startEarly`
   * as soon as it gets to its exec fifo (runc only: its state layout and
   * fifo; see exec-fifo.ts); undefined otherwise. An abort of the create
   * closes it (the init then waits for the ordinary start).
   */
  private earlyRelease(id: string, cli: OciCli, opts?: CreateOptions): EarlyExecFifo | undefined {
    if (!opts?.startEarly || basename(cli.binary) !== 'runc') return undefined;
    return new EarlyExecFifo(join(cli.root, id, 'exec.fifo'), opts.signal ? { signal: opts.signal } : {});
  }

  async kill(id: string, signal: string, opts?: CallOptions): Promise<void> {
    checkAborted(opts);
    const rec = await this.record(id);
    const signum = parseSignal(signal);
    const cli = this.cliOf(rec);
    const notRunning = () => failedPrecondition(`task ${id} is not running`);
    if ((await this.exitOf(id)) || !(await cli.exists(id))) throw notRunning();
    try {
      await cli.kill(id, signum);
    } catch (err) {
      if ((await this.exitOf(id)) || !(await cli.exists(id))) throw notRunning();
      const st = await cli.state(id).catch(() => undefined);
      if (st?.status === 'stopped') throw notRunning();
      throw err;
    }
  }

  async wait(id: string, opts?: CallOptions): Promise<ExitStatus> {
    await this.record(id);
    const outcome = await this.exits.wait(id, opts?.signal);
    if (outcome.kind === 'exited') return this.exitStatus(id, outcome.exit);
    return {
      exitCode: 255,
      exitedAt: new Date().toISOString(),
      error: `the monitor of task ${id} exited without recording an exit code`,
    };
  }

  async state(id: string, opts?: CallOptions): Promise<TaskState> {
    checkAborted(opts);
    const rec = await this.record(id);
    const exit = await this.exitOf(id);
    if (exit) return this.stateOf(rec, 'stopped', 0, exit);
    const cli = this.cliOf(rec);
    if (!(await cli.exists(id))) return this.stateOf(rec, 'stopped', 0);
    let oci: OciState;
    try {
      oci = await cli.state(id);
    } catch (err) {
      const late = await this.exitOf(id);
      if (late || !(await cli.exists(id))) return this.stateOf(rec, 'stopped', 0, late);
      throw err;
    }
    return this.fromOci(rec, oci);
  }

  async list(opts?: CallOptions): Promise<TaskState[]> {
    checkAborted(opts);
    await this.trash.sweep(); // what an earlier instance left (the daemon lists its tasks at start-up)
    const records = (
      await Promise.all((await listTaskIds(this.tasksDir)).map((id) => this.record(id).catch(() => undefined)))
    ).filter((r): r is TaskRecord => r !== undefined);
    const exits = await Promise.all(records.map((r) => this.exitOf(r.id)));
    const live = records.filter((_, i) => !exits[i]);
    const ociByRuntime = new Map<string, Map<string, OciState>>();
    for (const runtime of new Set(live.map((r) => r.runtime))) {
      const cli = this.cliOf(live.find((r) => r.runtime === runtime)!);
      const states = await cli.list();
      ociByRuntime.set(runtime, new Map(states.map((s) => [s.id, s])));
    }
    return Promise.all(
      records.map(async (rec, i) => {
        const exit = exits[i];
        if (exit) return this.stateOf(rec, 'stopped', 0, exit);
        const oci = ociByRuntime.get(rec.runtime)?.get(rec.id);
        if (oci?.status === 'running' || oci?.status === 'paused') this.watchLog(rec);
        if (oci) return this.fromOci(rec, oci);
        return this.stateOf(rec, 'stopped', 0, await this.exitOf(rec.id));
      }),
    );
  }

  async delete(id: string, opts?: CallOptions & { force?: boolean }): Promise<ExitStatus | undefined> {
    checkAborted(opts);
    const t0 = performance.now();
    const rec = await this.record(id).catch(async (err: unknown) => {
      await this.removeHalfMade(id);
      traceSince('runtime.delete.none', id, t0);
      throw err;
    });
    const cli = this.cliOf(rec);
    let exit = await this.exitOf(id);
    if (!exit && (await cli.exists(id))) {
      const oci = await cli.state(id).catch(() => undefined);
      const status = oci?.status ?? 'stopped';
      if ((status === 'running' || status === 'paused') && !opts?.force) {
        throw failedPrecondition(`task ${id} is running: stop it first or delete with force`);
      }
      if (status !== 'stopped') {
        await cli.kill(id, 9).catch(() => undefined);
        exit = await this.exitWithin(id, KILL_WAIT_MS);
      } else if (await this.monitorAlive(id)) {
        exit = await this.exitWithin(id, MONITOR_WAIT_MS); // it has exited; conmon is recording it
      }
    }
    const result = exit ? await this.exitStatus(id, exit) : undefined; // before the bundle (and its oom file) goes
    traceSince('runtime.delete.read', id, t0);
    await traced('runtime.delete.cleanup', id, () => this.cleanup(id, cli, !exit, exit !== undefined, rec));
    return result;
  }

  async update(id: string, resources: Resources, opts?: CallOptions): Promise<void> {
    const { cli } = await this.live(id, opts);
    const facts = this.hostFacts();
    await updateTask(cli, id, this.bundle(id), resources, facts.cgroupVersion, facts.onlineCpus);
  }

  async pause(id: string, opts?: CallOptions): Promise<void> {
    const { cli, status } = await this.live(id, opts);
    if (status === 'paused') throw failedPrecondition(`task ${id} is already paused`);
    await pauseTask(cli, id);
  }

  async resume(id: string, opts?: CallOptions): Promise<void> {
    const { cli, status } = await this.live(id, opts);
    if (status !== 'paused') throw failedPrecondition(`task ${id} is not paused`);
    await resumeTask(cli, id);
  }

  async stats(id: string, opts?: CallOptions): Promise<TaskStats> {
    const { pid } = await this.live(id, opts);
    return readTaskStats(pid, await cgroupsOf(pid, this.hostFacts().cgroupVersion === 'v2'));
  }

  async top(id: string, opts?: CallOptions): Promise<ProcessInfo[]> {
    const { pid } = await this.live(id, opts);
    return readProcesses(await cgroupPids(await cgroupsOf(pid, this.hostFacts().cgroupVersion === 'v2')));
  }

  exec(id: string, spec: ExecSpec, io?: TaskIO, opts?: CallOptions): Promise<ExecSession> {
    return this.stdio.exec(id, spec, io, opts);
  }

  resizeExec(id: string, execId: string, size: TerminalSize, _opts?: CallOptions): Promise<void> {
    return this.stdio.resizeExec(id, execId, size);
  }

  attach(id: string, io?: TaskIO, opts?: CallOptions): Promise<AttachSession> {
    return traced('runtime.attach', id, () => this.stdio.attach(id, io, opts));
  }

  resize(id: string, size: TerminalSize, _opts?: CallOptions): Promise<void> {
    return this.stdio.resize(id, size);
  }

  /**
   * Settles once the removals that deletes left running behind them (cgroups,
   * runtime state, bundles) have ended: for a graceful shutdown and for
   * tests that inspect the host. Unfinished ones are otherwise finished by
   * the next instance's first `list`.
   */
  settled(): Promise<void> {
    return this.trash.settled();
  }

  // ---- helpers ----

  /** The host's cgroup version, limits and devices, read once. */
  private hostFacts(): HostFacts {
    this.facts ??= readHostFacts(hostCgroupVersion(), hostHardLimits());
    return this.facts;
  }

  /** A running (or paused) task's runtime, OCI status and init PID. @throws NotFound; FailedPrecondition. */
  private async live(id: string, opts?: CallOptions): Promise<{ cli: OciCli; status: string; pid: number }> {
    checkAborted(opts);
    const rec = await this.record(id);
    const cli = this.cliOf(rec);
    const notRunning = () => failedPrecondition(`task ${id} is not running`, { details: { id } });
    if ((await this.exitOf(id)) || !(await cli.exists(id))) throw notRunning();
    const oci = await cli.state(id).catch(() => undefined);
    if (!oci || (oci.status !== 'running' && oci.status !== 'paused') || !oci.pid) throw notRunning();
    return { cli, status: oci.status, pid: oci.pid };
  }

  private validate(spec: TaskSpec): string {
    if (!TASK_ID.test(spec.id ?? '')) throw invalidArgument(`invalid task id ${JSON.stringify(spec.id)}`);
    if (!spec.process?.args?.length || !spec.process.args[0]) {
      throw invalidArgument(`task ${spec.id}: no command to run`);
    }
    if (!spec.logPath || !isAbsolute(spec.logPath)) {
      throw invalidArgument(`task ${spec.id}: logPath must be absolute`);
    }
    if (spec.network?.mode === 'path' && !spec.network.path) {
      throw invalidArgument(`task ${spec.id}: network mode "path" needs a path`);
    }
    if (spec.network && !['none', 'host', 'path'].includes(spec.network.mode)) {
      throw invalidArgument(`task ${spec.id}: unknown network mode ${spec.network.mode}`);
    }
    const runtime = spec.runtime || this.defaultRuntime;
    if (!this.runtimes[runtime]) throw invalidArgument(`unknown runtime ${runtime}`);
    return runtime;
  }

  /**
   * Removes the bundle of a create that was cut off before its record was
   * written (a daemon killed mid-create): no monitor was started yet, so
   * there is at most a rootfs mount and some files.
   */
  private async removeHalfMade(id: string): Promise<void> {
    if (!TASK_ID.test(id)) return;
    const bundle = this.bundle(id);
    // The usual case (every start clears a task left over from an earlier run): no bundle, nothing to
    // ask the OCI runtimes.
    if (!existsSync(bundle)) return;
    // A task the OCI runtime knows had its record written before its monitor started: an unreadable
    // record there is damage to report, not a half-made create, so its mounts and files stay.
    const known = await Promise.all(Object.entries(this.runtimes).map(([name, bin]) => this.cli(name, bin).exists(id)));
    if (known.includes(true)) return;
    await unmountRootfs(join(bundle, BUNDLE_FILES.rootfs)).catch(() => undefined);
    await removeBundle(bundle).catch(() => undefined);
  }

  /** Rotates the task's log while it runs. */
  private watchLog(rec: TaskRecord): void {
    this.rotator.add(rec.id, rec.logPath, this.bundle(rec.id), rec.logRotation ?? DEFAULT_LOG_ROTATION);
  }

  private ensureDirs(): Promise<void> {
    // The default runtime's state root is made here (runc would make its own), so it can be marked too.
    const roots = [join(this.stateDir, `${this.defaultRuntime}-root`)];
    this.dirsReady ??= Promise.all([
      ...[this.tasksDir, this.exitsDir, this.socketsDir, this.trash.dir].map((d) =>
        mkdir(d, { recursive: true, mode: 0o711 }),
      ),
      ...roots.map((d) => mkdir(d, { recursive: true, mode: 0o700 })),
    ])
      .then(() => Promise.all([this.tasksDir, ...roots].map((d) => spreadSubdirectories(d))))
      .then(
        () => this.trash.sweep(),
        (err: unknown) => {
          this.dirsReady = undefined;
          throw fromSystemError(err, `cannot create ${this.stateDir}`);
        },
      );
    return this.dirsReady;
  }

  private bundle(id: string): string {
    return join(this.tasksDir, id);
  }

  private record(id: string): Promise<TaskRecord> {
    if (!TASK_ID.test(id)) return Promise.reject(notFound(`no such task: ${id}`, { details: { id } }));
    return readRecord(this.bundle(id), id);
  }

  private cli(runtime: string, binary: string): OciCli {
    const key = `${runtime}\0${binary}`;
    let cli = this.clis.get(key);
    if (!cli) {
      cli = new OciCli(binary, join(this.stateDir, `${runtime}-root`));
      this.clis.set(key, cli);
    }
    return cli;
  }

  private cliOf(rec: TaskRecord): OciCli {
    return this.cli(rec.runtime, this.runtimes[rec.runtime] ?? rec.runtimePath);
  }

  private exitOf(id: string): Promise<ExitRecord | undefined> {
    return readExitFile(this.exitsDir, id);
  }

  private async exitStatus(id: string, exit: ExitRecord): Promise<ExitStatus> {
    const oom = existsSync(join(this.bundle(id), BUNDLE_FILES.oom));
    return { exitCode: exit.exitCode, exitedAt: exit.exitedAt, ...(oom ? { oomKilled: true } : {}) };
  }

  private async stateOf(rec: TaskRecord, status: TaskStatus, pid: number, exit?: ExitRecord): Promise<TaskState> {
    const bundle = this.bundle(rec.id);
    return {
      id: rec.id,
      status,
      pid,
      ...(exit ? { exitStatus: await this.exitStatus(rec.id, exit) } : {}),
      bundle,
      rootfs: rootfsPath(bundle, rec.rootfsOnHost !== false, pid),
    };
  }

  private fromOci(rec: TaskRecord, oci: OciState): Promise<TaskState> {
    const status: TaskStatus =
      oci.status === 'created' || oci.status === 'creating'
        ? 'created'
        : oci.status === 'running' || oci.status === 'paused'
          ? 'running'
          : 'stopped';
    return this.stateOf(rec, status, status === 'stopped' ? 0 : oci.pid);
  }

  /** The remembered PID answers while it lives; a dead one is checked against the bundle's file again. */
  private async monitorAlive(id: string): Promise<boolean> {
    const known = this.monitorPids.get(id);
    if (known !== undefined && (await processAlive(known, 'conmon'))) return true;
    const pid = await readPid(this.bundle(id), BUNDLE_FILES.monitorPid);
    if (pid > 0) this.monitorPids.set(id, pid);
    else this.monitorPids.delete(id);
    return pid !== known && processAlive(pid, 'conmon');
  }

  /** Waits at most `ms` for the task's monitor to record its exit. */
  private async exitWithin(id: string, ms: number): Promise<ExitRecord | undefined> {
    const outcome = await this.exits.wait(id, AbortSignal.timeout(ms)).catch(() => undefined);
    return outcome?.kind === 'exited' ? outcome.exit : undefined;
  }

  /**
   * Removes everything of a task: the OCI runtime's state, the rootfs mount,
   * the bundle, the exit file and the attach socket link. Safe to repeat.
   * The runtime state of a task whose exit was recorded (`exited`) and the
   * bundle are moved to the trash, which removes them after the call
   * answers (see trash.ts); a live task is deleted by the runtime first.
   * `rec`: its record, when the caller has read it.
   */
  private async cleanup(id: string, cli: OciCli, force: boolean, exited = false, rec?: TaskRecord): Promise<void> {
    this.early.get(id)?.fifo.close();
    this.early.delete(id);
    this.rotator.remove(id);
    this.monitorPids.delete(id);
    const bundle = this.bundle(id);
    const onHost = (rec ?? (await readRecord(bundle, id).catch(() => undefined)))?.rootfsOnHost !== false;
    const t0 = performance.now();
    let stopped: string | undefined;
    await Promise.all([
      cli.exists(id).then(async (exists) => {
        if (!exists) return;
        stopped = exited ? await cli.stoppedState(id) : undefined;
        if (stopped) return;
        try {
          await cli.delete(id, force);
        } catch (err) {
          if (force || !isTscrError(err)) throw err;
          await cli.delete(id, true);
        }
      }),
      onHost ? unmountRootfs(join(bundle, BUNDLE_FILES.rootfs)).then(() => removeRootfsDir(bundle)) : undefined,
    ]);
    traceSince('runtime.delete.state', id, t0);
    const t1 = performance.now();
    this.trash.take(id, bundle, stopped, {
      [TRASHED_EXIT_FILE]: join(this.exitsDir, id),
      [TRASHED_SOCKET_LINK]: join(this.socketsDir, id),
    });
    traceSince('runtime.delete.bundle', id, t1);
  }
}

/** Removes an exit file an earlier task of this ID left (only a crash between its exit and its delete does). */
function removeStaleExitFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** Where the host sees a task's root: its mount point, or through the init process for an in-namespace overlay. */
function rootfsPath(bundle: string, onHost: boolean, pid: number): string {
  if (onHost) return join(bundle, BUNDLE_FILES.rootfs);
  return pid > 0 ? `/proc/${pid}/root` : '';
}

/** Creates a {@link LocalTaskRuntime}. Starts nothing until a method is called. */
export function createLocalTaskRuntime(opts: LocalTaskRuntimeOptions): LocalTaskRuntime {
  return new LocalTaskRuntime(opts);
}
