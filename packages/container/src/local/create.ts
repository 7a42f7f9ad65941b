import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import {
  alreadyExists,
  failpoint,
  fromSystemError,
  invalidArgument,
  isAlreadyExists,
  isErrno,
  isNotFound,
  notFound,
  traced,
  traceSince,
  type ContainerInfo,
} from '@tscr/api';
import { logRotationOf } from '@tscr/runtime/local';
import type { ContainerStore } from '../store.js';
import type { CallOptions, CreateContainerRequest } from '../types.js';
import { mergeConfig } from './config.js';
import type { LocalContainerServiceOptions } from './options.js';
import { ID_PATTERN, lookupContainer } from './lookup.js';

export { ID_PATTERN, lookupContainer };
import { mergeHealthcheck, validateHealthcheck } from './health.js';
import { newContainerId, normalizeName, randomName } from './names.js';
import { checkNetworking, defaultNetworkMode, initialNetworkSettings } from './networking.js';
import { createdState } from './records.js';
import { validateRestartPolicy } from './restart.js';
import { validateHostOptions } from './update.js';
import { checkNamespaceModes } from './namespaces.js';
import { createMountSpecs, imageLayersOf } from './volumes.js';

/** A full container ID. */

/** File name of a container's log inside its directory. */
const LOG_FILE = 'container.log';

/** @throws AlreadyExists, worded as Docker words it, when `name` is taken. */
function assertNameFree(store: ContainerStore, name: string): void {
  const holder = store.getByName(name);
  if (holder) {
    throw alreadyExists(`the container name "/${name}" is already in use by container ${holder.id}`, {
      details: { name, id: holder.id },
    });
  }
}

function freeName(store: ContainerStore): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = randomName(attempt);
    if (!store.getByName(name)) return name;
  }
  return `tscr_${newContainerId().slice(0, 12)}`;
}

/**
 * Makes the container's own directory; its parent only when it is missing
 * (the first create of a root, or the parent removed under the daemon).
 * @throws as `fromSystemError`.
 */
function makeContainerDir(parent: string, dir: string): void {
  try {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      mkdirSync(parent, { recursive: true, mode: 0o700 });
      mkdirSync(dir, { mode: 0o700 });
    }
  } catch (err) {
    throw fromSystemError(err, `cannot create the container directory ${dir}`);
  }
}

/**
 * Validates a create request, prepares the container's snapshot, directory
 * and mounts, and inserts its record. On any failure everything made so far
 * is undone, so nothing half-made remains.
 */
export async function createContainer(
  o: LocalContainerServiceOptions,
  req: CreateContainerRequest,
  opts: CallOptions,
  log: (message: string) => void,
): Promise<ContainerInfo> {
  const name = req.name ? normalizeName(req.name) : freeName(o.store);
  assertNameFree(o.store, name);
  if (req.logPath && !isAbsolute(req.logPath))
    throw invalidArgument(`log path must be absolute: ${req.logPath}`, { details: { logPath: req.logPath } });
  const ref = req.config?.image;
  if (!ref) throw invalidArgument('no image specified');
  const image = await traced('container.create.image', '', () => o.images.get(ref, opts)).catch((err: unknown) => {
    if (isNotFound(err)) throw notFound(`no such image: ${ref}`, { cause: err, details: { image: ref } });
    throw err;
  });
  const id = newContainerId();
  const { config, command } = mergeConfig(req.config, image.config, id);
  const hostConfig = {
    ...(req.hostConfig ?? {}),
    networkMode: req.hostConfig?.networkMode || (await defaultNetworkMode(o.networks)),
  };
  validateRestartPolicy(hostConfig.restartPolicy, Boolean(hostConfig.autoRemove));
  validateHostOptions(hostConfig);
  checkNamespaceModes((r) => lookupContainer(o.store, r), hostConfig);
  validateHealthcheck(req.config.healthcheck);
  logRotationOf(hostConfig.logConfig);
  const healthcheck = mergeHealthcheck(req.config.healthcheck, image.config.healthcheck);
  if (healthcheck) config.healthcheck = healthcheck;
  const specs = createMountSpecs(hostConfig, image.config.volumes);
  await traced('container.create.check-network', '', () => checkNetworking(o, hostConfig, req.networkingConfig));

  const dir = join(o.containersDir, id);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    // Synchronously, as the log file below: a directory and an empty file, where each asynchronous call was a
    // thread-pool trip queued behind every other file operation of a busy daemon.
    // Not recursive for the container's own directory: Node's recursive mkdir reports a full disk as ENOENT.
    makeContainerDir(o.containersDir, dir);
    undo.push(() => rm(dir, { recursive: true, force: true }));
    const rootfs = await traced('container.create.snapshot', id, () => o.images.prepare(id, image.id, opts));
    undo.push(() => o.images.removeSnapshot(id));
    failpoint('container.create.after-snapshot');
    undo.push(() => o.volumes.release(id, { removeAnonymous: true }));
    const mounts = await traced('container.create.volumes', id, () =>
      o.volumes.resolveMounts(id, specs, { ...opts, imageLayers: imageLayersOf(rootfs) }),
    );
    const logPath = req.logPath || join(dir, LOG_FILE);
    if (req.logPath) await mkdir(dirname(logPath), { recursive: true, mode: 0o755 });
    const tLog = performance.now();
    closeSync(openSync(logPath, 'a', 0o640));
    traceSince('container.create.log-file', id, tLog);
    const info: ContainerInfo = {
      id,
      name,
      created: new Date().toISOString(),
      image: image.id,
      path: command.path,
      args: command.args,
      config,
      hostConfig,
      state: createdState(),
      mounts: mounts.map((m) => {
        const point = { type: m.mountType, source: m.source, destination: m.destination, rw: m.rw };
        return m.name ? { ...point, name: m.name } : point;
      }),
      restartCount: 0,
      logPath,
      rootfs: '',
      networkSettings: initialNetworkSettings(req.networkingConfig),
    };
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        o.store.insert(info);
        break;
      } catch (err) {
        // A random name another concurrent create took meanwhile: pick another.
        if (isAlreadyExists(err) && !req.name && attempt < 20 && o.store.getByName(info.name)) {
          info.name = freeName(o.store);
          continue;
        }
        if (isAlreadyExists(err)) assertNameFree(o.store, info.name);
        throw err;
      }
    }
    traceSince('container.create.record', id, t0);
    failpoint('container.create.after-record');
    return info;
  } catch (err) {
    for (const step of undo.reverse()) {
      await step().catch((e: unknown) => log(`undo create ${id}: ${e instanceof Error ? e.message : String(e)}`));
    }
    throw err;
  }
}
