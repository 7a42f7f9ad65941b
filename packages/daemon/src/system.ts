import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { API_VERSION, VERSION, type TscrEvent } from '@tscr/api';
import type { ContainerService } from '@tscr/container';
import type { ImageStore } from '@tscr/image';
import type { EventBus } from './events.js';
import type { CallOptions, EventsOptions, SystemInfo, SystemService, VersionInfo } from './types.js';

const run = promisify(execFile);

/** What {@link LocalSystemService} reports on. */
export interface LocalSystemServiceOptions {
  containers: Pick<ContainerService, 'list'>;
  images: Pick<ImageStore, 'list'>;
  events: EventBus;
  /** The daemon's `--root`. */
  rootDir: string;
  /** Path of the state database. */
  stateDatabase: string;
  defaultRuntime: string;
  /** OCI runtimes the daemon can use. */
  runtimes: string[];
  /** Where each layer is served from. */
  layers: { layer: string; endpoint: string }[];
  /** The runtime's version line; default: the first line of `<defaultRuntime> --version`. */
  runtimeVersion?: () => Promise<string>;
  /** The monitor's version line; default: the first line of `conmon --version`. */
  monitorVersion?: () => Promise<string>;
}

/** First line of `cmd --version`, or empty when it cannot run. */
export async function commandVersion(cmd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, ['--version'], { timeout: 5000 });
    return stdout.split('\n')[0]?.trim() ?? '';
  } catch {
    return '';
  }
}

/** `1` for cgroup v1 (hybrid included: a v1 memory hierarchy exists), `2` for the unified hierarchy. */
export function cgroupVersion(root = '/sys/fs/cgroup'): string {
  if (existsSync(`${root}/memory`)) return '1';
  return existsSync(`${root}/cgroup.controllers`) ? '2' : '1';
}

function operatingSystem(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'linux';
  } catch {
    return 'linux';
  }
}

/** The daemon's own service: ping, version, info and the event stream. */
export class LocalSystemService implements SystemService {
  /** The runtime's and the monitor's version lines, asked once (each asking starts two processes). */
  private toolVersions?: Promise<[string, string]>;

  constructor(private readonly o: LocalSystemServiceOptions) {}

  async ping(): Promise<void> {}

  async version(): Promise<VersionInfo> {
    this.toolVersions ??= Promise.all([
      (this.o.runtimeVersion ?? (() => commandVersion(this.o.defaultRuntime)))(),
      (this.o.monitorVersion ?? (() => commandVersion('conmon')))(),
    ]);
    const [runtimeVersion, monitorVersion] = await this.toolVersions.catch((err: unknown) => {
      this.toolVersions = undefined;
      throw err;
    });
    return {
      version: VERSION,
      apiVersion: API_VERSION,
      nodeVersion: process.version,
      os: process.platform,
      arch: process.arch,
      kernelVersion: release(),
      runtime: this.o.defaultRuntime,
      runtimeVersion,
      monitor: 'conmon',
      monitorVersion,
    };
  }

  async info(opts: CallOptions = {}): Promise<SystemInfo> {
    const [containers, images] = await Promise.all([
      this.o.containers.list({ ...opts, all: true }),
      this.o.images.list(opts),
    ]);
    const count = (pred: (state: string) => boolean) => containers.filter((c) => pred(c.state)).length;
    return {
      containers: containers.length,
      containersRunning: count((s) => s === 'running' || s === 'restarting'),
      containersPaused: count((s) => s === 'paused'),
      containersStopped: count((s) => s !== 'running' && s !== 'restarting' && s !== 'paused'),
      images: images.length,
      rootDir: this.o.rootDir,
      storageDriver: 'overlay',
      defaultRuntime: this.o.defaultRuntime,
      runtimes: this.o.runtimes,
      cgroupVersion: cgroupVersion(),
      kernelVersion: release(),
      operatingSystem: operatingSystem(),
      ncpu: cpus().length,
      memTotal: totalmem(),
      name: hostname(),
      serverVersion: VERSION,
      layers: this.o.layers.map((l) => ({ ...l })),
      stateDatabase: this.o.stateDatabase,
    };
  }

  events(opts: EventsOptions = {}): AsyncIterable<TscrEvent> {
    const stream = this.o.events.subscribe(opts);
    opts.onSubscribed?.();
    return stream;
  }
}
