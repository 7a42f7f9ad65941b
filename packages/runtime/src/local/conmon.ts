import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { internal, traceSince, tracing } from '@tscr/api';
import { BUNDLE_FILES } from './bundle.js';
import { spawnMonitorProcess, type SpawnOutcome, type SpawnRequest } from './monitor-spawner.js';
import { findRelay } from './relay.js';
import { RelaySpawner } from './relay-spawner.js';
import { createError } from './runtime-errors.js';

export { createError };

/** How to start one task's monitor. */
export interface MonitorOptions {
  /** The conmon binary. */
  conmonPath: string;
  id: string;
  /** The OCI runtime binary conmon runs (`create`). */
  runtimePath: string;
  /** Global arguments for the runtime (`--root …`). */
  runtimeArgs: string[];
  bundle: string;
  /** k8s-file log the task's output goes to. */
  logPath: string;
  /** Where conmon writes `<id>` with the exit code. */
  exitDir: string;
  /** Where conmon puts the attach socket link. */
  socketDir: string;
  terminal?: boolean;
  /** Give the task a stdin pipe that attaches write to. */
  stdin?: boolean;
  /** Keep that stdin open when an attach that wrote to it ends. */
  leaveStdinOpen?: boolean;
  /** The relay whose spawner starts conmon (default: found as for attach, see relay.ts). */
  relayPath?: string;
  /**
   * conmon's `--sync`: the process started is the monitor itself, without
   * the fork and exit of a first process (0.4–0.8 ms of conmon's ~3.5 ms
   * before it runs the runtime). Only for a starter that reaps whatever it
   * started when it exits (the relay's spawner); startMonitor sets it.
   */
  sync?: boolean;
}

/** The monitor's own stdout/stderr, kept in the bundle for diagnostics. */
export const MONITOR_LOG = 'conmon.log';

/** conmon's argv for `o`. */
export function monitorArgs(o: MonitorOptions): string[] {
  return [
    '--api-version',
    '1',
    '-c',
    o.id,
    '-u',
    o.id,
    '-n',
    o.id,
    '-r',
    o.runtimePath,
    '-b',
    o.bundle,
    '-p',
    join(o.bundle, 'pidfile'),
    '-l',
    `k8s-file:${o.logPath}`,
    '--exit-dir',
    o.exitDir,
    // No --persist-dir: conmon would write a second exit file there (temp file, write, rename) before the
    // one in --exit-dir that the daemon waits for. Its OOM marker needs no option: conmon also creates
    // `oom` in its working directory, which startMonitor sets to the bundle.
    '--socket-dir-path',
    o.socketDir,
    ...o.runtimeArgs.flatMap((a) => ['--runtime-arg', a]),
    '--log-level',
    'error',
    '--no-sync-log',
    ...(o.terminal ? ['-t'] : []),
    ...(o.stdin ? ['-i'] : []),
    ...(o.stdin && o.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ...(o.sync ? ['--sync'] : []),
  ];
}

/** conmon's sync message: `{"data": <pid>}` or `{"data": -1, "message": "…"}`. */
interface SyncMessage {
  data: number;
  message?: string;
}

function syncMessage(line: string): SyncMessage {
  try {
    return JSON.parse(line) as SyncMessage;
  } catch {
    return { data: -1, message: line };
  }
}

/**
 * Writes the monitor's PID: the parent of the container's init once the
 * runtime's `create` has exited (conmon is the init's subreaper). conmon's
 * own `-P` file is not asked for: its first process writes it with two
 * fsyncs before it exits, which the start used to wait for. Nothing is
 * written when the init is already gone (its exit file then says the rest).
 */
async function writeMonitorPid(bundle: string, initPid: number): Promise<void> {
  let status = '';
  try {
    status = readFileSync(`/proc/${initPid}/status`, 'utf8'); // procfs answers from memory: no thread-pool trip
  } catch {
    // the init is gone: nothing to write
  }
  const ppid = /^PPid:\s*(\d+)$/m.exec(status)?.[1];
  if (ppid && ppid !== '1') writeFileSync(join(bundle, BUNDLE_FILES.monitorPid), ppid); // a few bytes: no thread-pool trip
}

/**
 * Starts conmon for a task with a sync pipe on fd 3 and waits until the OCI
 * runtime has created the container. Through the relay, conmon runs with
 * `--sync` and the process started is the monitor (the relay reaps it when
 * it exits). Otherwise conmon double-forks, so the process started here
 * exits at once (reaped by the thread that started it, see
 * monitor-spawner.ts; a start does not wait for that); the monitor lives on.
 * @returns the host PID of the container's init process.
 * @throws see {@link createError}; Internal when conmon itself fails.
 */
export async function startMonitor(o: MonitorOptions): Promise<number> {
  const relay = process.env.TSCR_SPAWNER === 'thread' ? undefined : await relaySpawner(o.relayPath, o.runtimePath);
  const runtimePath = (await relay?.sealedPath(o.runtimePath)) ?? o.runtimePath;
  const outcome = await startProcess(relay, (sync) => ({
    file: o.conmonPath,
    args: monitorArgs({ ...o, runtimePath, sync }),
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
    cwd: o.bundle,
    logPath: join(o.bundle, MONITOR_LOG),
  }));
  const message = outcome.kind === 'line' ? syncMessage(outcome.line) : undefined;
  if (outcome.kind === 'line' && outcome.spawnMs !== undefined && tracing()) {
    traceSince('runtime.create.monitor.fork-exec', o.id, performance.now() - outcome.spawnMs);
  }
  if (message && message.data > 0) {
    const t0 = performance.now();
    await writeMonitorPid(o.bundle, message.data);
    traceSince('runtime.create.monitor.pid-file', o.id, t0);
    return message.data;
  }
  if (message) throw createError(message.message ?? '');
  const code = outcome.kind === 'exited' ? outcome.code : null;
  const log = await readFile(join(o.bundle, MONITOR_LOG), 'utf8').catch(() => '');
  throw internal(`conmon exited (code ${code}) without reporting the container: ${log.trim()}`);
}

/** The relay spawner for each relay setting (`''`: the default look-up); undefined when there is no relay. */
const relaySpawners = new Map<string, Promise<RelaySpawner | undefined>>();

/**
 * The relay spawner for `relayPath`, made at the first start. When that
 * start's runtime is runc (and TSCR_SEALED_RUNC is not `0`), the relay keeps a
 * sealed copy of it for every later start (see {@link RelaySpawner.sealedPath}).
 */
function relaySpawner(relayPath: string | undefined, runtimePath: string): Promise<RelaySpawner | undefined> {
  const key = relayPath ?? '';
  let relay = relaySpawners.get(key);
  if (!relay) {
    const sealed = basename(runtimePath) === 'runc' && process.env.TSCR_SEALED_RUNC !== '0' ? runtimePath : undefined;
    relay = findRelay(relayPath).then(
      (path) => new RelaySpawner(path, sealed),
      () => undefined,
    );
    relaySpawners.set(key, relay);
  }
  return relay;
}

/**
 * The sealed copy of `runtimePath` kept by the relay spawner that starts the
 * monitors (see {@link RelaySpawner.sealedPath}), for the other runs of the
 * runtime that start a `runc init` (`runc exec`); undefined before the first
 * monitor start, or when there is no such copy. Starts no relay of its own.
 */
export async function sealedRuntime(relayPath: string | undefined, runtimePath: string): Promise<string | undefined> {
  if (process.env.TSCR_SPAWNER === 'thread') return undefined;
  const relay = await relaySpawners.get(relayPath ?? '');
  return relay?.sealedPath(runtimePath);
}

/**
 * Starts a monitor through the relay's spawner (see relay-spawner.ts), or,
 * without a relay that has one (or with `TSCR_SPAWNER=thread`), with Node's
 * `spawn` in a worker thread (monitor-spawner.ts). `request(sync)` makes the
 * request: `sync` is true for the relay, which reaps the monitor when it
 * exits (and while the relay lives, at once: a monitor the relay left behind
 * is adopted by init, as a double-forked one always is). The thread does not
 * get it: Node would hold a child handle for each running container there.
 */
async function startProcess(
  relay: RelaySpawner | undefined,
  request: (sync: boolean) => SpawnRequest,
): Promise<SpawnOutcome> {
  const outcome = await relay?.spawn(request(process.env.TSCR_CONMON_SYNC !== '0'));
  return outcome ?? spawnMonitorProcess(request(false));
}
