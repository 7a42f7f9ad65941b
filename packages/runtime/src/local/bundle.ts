import { closeSync, copyFileSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { failedPrecondition, fromSystemError, notFound, removeTree } from '@tscr/api';
import { hostsFile, type OciRuntimeSpec } from './spec.js';

/** What tscr remembers about a task besides the OCI bundle (`task.json`). */
export interface TaskRecord {
  id: string;
  /** Runtime name (`runc`, `crun`). */
  runtime: string;
  /** Runtime binary used to create it. */
  runtimePath: string;
  logPath: string;
  /** Size rotation of `logPath`. */
  logRotation?: { maxSize: number; maxFiles: number };
  /** False when the rootfs is an overlay mounted inside the container (nothing to unmount on the host). */
  rootfsOnHost?: boolean;
}

/** File names inside a task's bundle directory. */
export const BUNDLE_FILES = {
  record: 'task.json',
  config: 'config.json',
  rootfs: 'rootfs',
  pid: 'pidfile',
  monitorPid: 'conmon.pid',
  hostname: 'hostname',
  hosts: 'hosts',
  resolvConf: 'resolv.conf',
  /** Created by conmon in its working directory (the bundle) when the kernel OOM-killed the task. */
  oom: 'oom',
} as const;

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads `task.json`. The small files of a task's own bundle are read
 * synchronously here and below: on the run path a thread-pool round trip
 * costs more than the read. @throws NotFound when the task does not exist.
 */
export async function readRecord(bundle: string, id: string): Promise<TaskRecord> {
  try {
    return JSON.parse(readFileSync(join(bundle, BUNDLE_FILES.record), 'utf8')) as TaskRecord;
  } catch (err) {
    if (isMissing(err) || err instanceof SyntaxError) throw notFound(`no such task: ${id}`, { details: { id } });
    throw fromSystemError(err, `cannot read task ${id}`);
  }
}

/** IDs of every task directory that has a record, in directory order. */
export async function listTaskIds(tasksDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(tasksDir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw fromSystemError(err, `cannot list ${tasksDir}`);
  }
  return names.filter((n) => !n.startsWith('.'));
}

/** Writes the bundle's files: config.json, task.json, and those of the generated /etc files the config mounts. */
export function writeBundle(bundle: string, record: TaskRecord, config: OciRuntimeSpec): void {
  // Synchronous, as the reads above: a few small files in the task's fresh directory, on the start path,
  // where each thread-pool trip (open, write, close per file) waited behind the daemon's other file work.
  const mounted = new Set(config.mounts.filter((m) => m.type === 'bind').map((m) => m.source));
  const mounts = (name: string) => mounted.has(join(bundle, name));
  writeFileSync(join(bundle, BUNDLE_FILES.config), JSON.stringify(config));
  if (mounts(BUNDLE_FILES.hostname)) writeFileSync(join(bundle, BUNDLE_FILES.hostname), `${config.hostname ?? ''}\n`);
  if (mounts(BUNDLE_FILES.hosts)) writeFileSync(join(bundle, BUNDLE_FILES.hosts), hostsFile(config.hostname ?? ''));
  if (mounts(BUNDLE_FILES.resolvConf)) copyFileSync('/etc/resolv.conf', join(bundle, BUNDLE_FILES.resolvConf));
  writeFileSync(join(bundle, BUNDLE_FILES.record), JSON.stringify(record));
}

/** The container's init PID from the runtime's pid file; 0 when unknown. */
export async function readPid(bundle: string, file: string = BUNDLE_FILES.pid): Promise<number> {
  try {
    const n = Number(readFileSync(join(bundle, file), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * True while the process `pid` exists and is not a zombie whose name is
 * `comm` (guards against PID reuse).
 */
export async function processAlive(pid: number, comm: string): Promise<boolean> {
  if (pid <= 0) return false;
  // The exit watcher asks this for every running task every few seconds: a small synchronous read
  // (procfs answers from memory) instead of readFile, which zero-fills 64 KiB for a file whose size is 0.
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
    const stat = STAT_BUF.toString('latin1', 0, readSync(fd, STAT_BUF, 0, STAT_BUF.length, 0));
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return name === comm && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Enough of `/proc/PID/stat` for the name (at most 15 bytes) and the state after it. */
const STAT_BUF = Buffer.alloc(128);

/**
 * Removes a bundle's empty rootfs directory, so a rootfs that is somehow
 * still mounted or populated is never deleted recursively with the bundle.
 * @throws FailedPrecondition when the rootfs directory is not empty.
 */
export async function removeRootfsDir(bundle: string): Promise<void> {
  try {
    await rmdir(join(bundle, BUNDLE_FILES.rootfs));
  } catch (err) {
    if (!isMissing(err)) {
      throw failedPrecondition(`refusing to remove ${bundle}: its rootfs is still mounted or not empty`, {
        cause: err,
      });
    }
  }
}

/**
 * Removes a bundle directory whose rootfs has been unmounted (its empty
 * rootfs directory first, see {@link removeRootfsDir}).
 * @throws FailedPrecondition when the rootfs directory is not empty.
 */
export async function removeBundle(bundle: string): Promise<void> {
  await removeRootfsDir(bundle);
  await removeTree(bundle); // one operation after the other: it runs behind the calls (see backgroundFileOp)
}
